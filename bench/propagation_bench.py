#!/usr/bin/env python3
"""Propagation benchmark: 1,000 federated objects to 3 member clusters (issue 7, section 7).

Starts four real kube-apiservers (tests/cluster-fixture: a host and three members), registers the members
(MemberCluster + kubeconfig Secret) and the ConfigMap type, creates --count FederatedObjects (one ConfigMap each,
placed in all three members, one override by selector), then starts the release fedns binary and measures:

  1. initial propagation: time from fedns start to every object Propagated=True at its generation, the writes
     it issued (fedns_propagation_writes_total by operation) and its CPU time per object;
  2. a restart over unchanged objects (what a new leader does after failover): writes issued, expected 0
     member writes and 0 status writes;
  3. an update of every template: time until all are propagated again, writes issued, CPU per object.

Usage: bench/propagation_bench.py [--count 1000] [--skip-build]
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MEMBERS = ["east", "west", "north"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def writes(port):
    try:
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return None
    out = {}
    for m in re.finditer(r"^fedns_propagation_writes_total\{([^}]*)\} (\S+)$", text, re.M):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        out[labels["op"]] = int(float(m.group(2)))
    for m in re.finditer(r"^fedns_propagation_(member_reads|failed_writes|reconciles)_total (\S+)$", text, re.M):
        out[m.group(1)] = int(float(m.group(2)))
    return out


def objects_yaml(count, version):
    items = []
    for i in range(count):
        items.append({
            "apiVersion": "federation.fedns.io/v1alpha1", "kind": "FederatedObject",
            "metadata": {"name": f"cm-{i:05d}", "namespace": "bench"},
            "spec": {
                "template": {"apiVersion": "v1", "kind": "ConfigMap",
                             "data": {"version": str(version), "payload": "x" * 200}},
                "placement": {"clusterSelector": {}},
                "overrides": [{"clusterSelector": {"matchLabels": {"region": "eu"}},
                               "patches": [{"op": "add", "path": "/data/region", "value": "eu"}]}],
            }})
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


def all_propagated(kubectl, count):
    out = subprocess.run(kubectl + ["get", "fo", "-n", "bench", "-o", "json"], capture_output=True, text=True)
    if out.returncode != 0:
        return 0
    done = 0
    for o in json.loads(out.stdout)["items"]:
        status = o.get("status", {})
        if status.get("observedGeneration") != o["metadata"]["generation"]:
            continue
        if any(c.get("type") == "Propagated" and c.get("status") == "True" for c in status.get("conditions", [])):
            done += 1
    return done


def wait_all(kubectl, count, proc, timeout=600):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            sys.exit("fedns exited")
        if all_propagated(kubectl, count) == count:
            return time.monotonic() - start
        time.sleep(0.5)
    sys.exit(f"not all {count} objects propagated within {timeout} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    build = os.path.join(ROOT, "build", "release")
    if not args.skip_build:
        subprocess.run(["cmake", "--preset", "release"], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["cmake", "--build", build, "--target", "fedns"], cwd=ROOT, check=True)
    fedns = os.path.join(build, "src", "fedns")
    fixture = os.path.join(ROOT, "tests", "cluster-fixture")
    with tempfile.TemporaryDirectory(prefix="fedns-propagation-bench-") as tmp:
        d = os.path.join(tmp, "clusters")
        up = subprocess.run([fixture, "up", "4", "--json", "--dir", d], capture_output=True, text=True)
        if up.returncode != 0:
            sys.exit(f"cluster fixture failed:\n{up.stderr}")
        state = json.loads(up.stdout[up.stdout.index("{"):])
        bin_dir = subprocess.run([fixture, "bin"], capture_output=True, text=True, check=True).stdout.strip()
        kubectl = [[os.path.join(bin_dir, "kubectl"), "--kubeconfig", c["kubeconfig"]] for c in state["clusters"]]
        host = kubectl[0]
        procs = []

        def run(cmd, stdin=None):
            r = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"{' '.join(cmd)}: {r.stderr}")
            return r.stdout

        def start(name):
            metrics_port = free_port()
            config = os.path.join(tmp, f"{name}.yaml")
            with open(config, "w") as f:
                f.write(f'server:\n  listen: ["127.0.0.1:{free_port()}"]\n  workers: 1\n'
                        f'  metrics: "127.0.0.1:{metrics_port}"\n'
                        "zones:\n  - origin: example.test.\n    soa: {serial: 1, minimum: 60}\n"
                        "    ns: [{name: ns1.example.test., addresses: [127.0.0.1]}]\n"
                        f"propagation:\n  kubeconfig: {state['clusters'][0]['kubeconfig']}\n  identity: {name}\n"
                        "  lease: {duration: 3s, renew_deadline: 2s, retry_period: 500ms}\n")
            log = open(os.path.join(tmp, f"{name}.log"), "w")
            proc = subprocess.Popen([fedns, "serve", "--config", config], stdout=log, stderr=subprocess.STDOUT)
            procs.append(proc)
            while writes(metrics_port) is None:
                if proc.poll() is not None:
                    sys.exit(f"fedns failed: {open(log.name).read()}")
                time.sleep(0.05)
            return proc, metrics_port

        try:
            run(host + ["apply", "-f", os.path.join(ROOT, "deploy", "crds")])
            run(host + ["wait", "--for=condition=established", "--timeout=60s", "crd", "--all"])
            run(host + ["create", "namespace", "fedns-system"])
            run(host + ["create", "namespace", "bench"])
            for i, name in enumerate(MEMBERS, start=1):
                run(kubectl[i] + ["create", "namespace", "bench"])
                flat = run(kubectl[i] + ["config", "view", "--raw", "--flatten", "--minify"])
                path = os.path.join(tmp, f"{name}.kubeconfig")
                with open(path, "w") as f:
                    f.write(flat)
                run(host + ["-n", "fedns-system", "create", "secret", "generic", name, f"--from-file=kubeconfig={path}"])
                region = "us" if name == "west" else "eu"
                run(host + ["apply", "-f", "-"], json.dumps({
                    "apiVersion": "federation.fedns.io/v1alpha1", "kind": "MemberCluster",
                    "metadata": {"name": name, "labels": {"region": region}},
                    "spec": {"apiEndpoint": state["clusters"][i]["server"], "secretRef": {"name": name}}}))
            run(host + ["apply", "-f", "-"], json.dumps({
                "apiVersion": "federation.fedns.io/v1alpha1", "kind": "FederatedTypeConfig",
                "metadata": {"name": "configmaps"},
                "spec": {"target": {"version": "v1", "kind": "ConfigMap", "resource": "configmaps",
                                    "scope": "Namespaced"}}}))
            t0 = time.monotonic()
            run(host + ["create", "-f", "-"], objects_yaml(args.count, 1))
            print(f"created {args.count} FederatedObjects in {time.monotonic() - t0:.1f} s")

            results = []
            proc, port = start("replica-a")
            cpu0 = cpu_seconds(proc.pid)
            elapsed = wait_all(host, args.count, proc)
            time.sleep(2)  # late echoes settle: their writes count too
            w = writes(port)
            results.append(("initial propagation", elapsed, w, cpu_seconds(proc.pid) - cpu0))

            # A new process over unchanged objects: what a new leader does after failover.
            proc.terminate()
            proc.wait(10)
            proc, port = start("replica-b")
            cpu0 = cpu_seconds(proc.pid)
            start_wait = time.monotonic()
            while True:
                w = writes(port)
                if w.get("reconciles", 0) >= args.count or time.monotonic() - start_wait > 120:
                    break
                time.sleep(0.2)
            elapsed = time.monotonic() - start_wait
            time.sleep(2)
            results.append(("restart, nothing changed", elapsed, writes(port), cpu_seconds(proc.pid) - cpu0))

            before = writes(port)
            cpu0 = cpu_seconds(proc.pid)
            t0 = time.monotonic()
            run(host + ["apply", "-f", "-"], objects_yaml(args.count, 2))
            applied = time.monotonic() - t0
            elapsed = wait_all(host, args.count, proc) + applied
            time.sleep(2)
            after = writes(port)
            results.append(("update every template", elapsed,
                            {k: after.get(k, 0) - before.get(k, 0) for k in after}, cpu_seconds(proc.pid) - cpu0))

            print(f"\n{args.count} FederatedObjects x {len(MEMBERS)} member clusters (ConfigMaps, one override)\n")
            print("| phase | seconds | reconciles | member applies | member deletes | status writes | finalizer writes "
                  "| existence reads | failed | fedns CPU ms/object |")
            print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for phase, seconds, w, cpu in results:
                print(f"| {phase} | {seconds:.1f} | {w.get('reconciles', 0)} | {w.get('apply', 0)} | {w.get('delete', 0)} | "
                      f"{w.get('status', 0)} | {w.get('finalizer', 0)} | {w.get('member_reads', 0)} | "
                      f"{w.get('failed_writes', 0)} | {1000 * cpu / args.count:.2f} |")
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
                    p.wait(10)
            subprocess.run([fixture, "down", "--dir", d], capture_output=True)


if __name__ == "__main__":
    main()
