#!/usr/bin/env python3
"""Catalog benchmark (issue 4, section 6): end-to-end propagation latency with a large catalog.

Starts three real kube-apiservers (tests/cluster-fixture), fills each with --count Services and EndpointSlices
(3 endpoints each; the same names in every cluster, so each merged service has 3 shards and 9 endpoints), and
runs fedns (release build) with all three as member clusters (publish_address: endpoints, the bench namespaces
exported without ServiceExports). It reports:

- start-to-ready: from starting fedns until every cluster synced and all services answer;
- resident memory per endpoint: fedns' RSS loaded and settled (4 s after ready; also printed 1 s after ready),
  minus fedns' RSS with the same zone and no clusters (the anchor, measured in the same run), divided by the
  endpoints held;
- propagation: --changes EndpointSlice patches spread over the clusters, each timed from just before the PATCH
  is sent until a DNS query first returns the new address (a poller asks every ~0.3 ms); p50/p90/p99/max;
- rebuild cost per change: the snapshot build times fedns logs at debug level during those changes, and the
  shards and nodes each one copied, next to the catalog's size.

Usage: bench/catalog_bench.py [--count 10000] [--changes 200] [--endpoints 3] [--skip-build] [--fixture-dir DIR]
Targets: p99 propagation < 100 ms; rebuild cost independent of catalog size; < 1 KiB RSS per endpoint.
"""
import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def metrics(port):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
    except OSError:
        return ""


def metric(text, name):
    values = [float(m.group(1)) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M)]
    return values


ZONE = """zones:
  - origin: clusterset.local.
    ttl: 5
    soa: {serial: 1, minimum: 5}
    ns: [ns1.clusterset.local.]
"""


def start_fedns(binary, tmp, name, clusters_yaml, log_level="info"):
    dns_port, metrics_port = free_port(), free_port()
    config = os.path.join(tmp, f"{name}.yaml")
    with open(config, "w") as f:
        f.write(f'server:\n  listen: ["127.0.0.1:{dns_port}"]\n  workers: 1\n  metrics: "127.0.0.1:{metrics_port}"\n')
        f.write(ZONE + clusters_yaml)
    log = open(os.path.join(tmp, f"{name}.log"), "w")
    proc = subprocess.Popen([binary, "serve", "--config", config, "--log-level", log_level], stdout=log,
                            stderr=subprocess.STDOUT)
    return proc, dns_port, metrics_port, log.name


def main():
    # SIGTERM ends the run through the `finally` below, so the clusters and servers it started are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10000, help="services per cluster")
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--endpoints", type=int, default=3, help="endpoints per EndpointSlice")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--fixture-dir", help="keep the populated clusters in DIR and reuse them on the next run "
                        "(for comparing builds; stop them with tests/cluster-fixture down --dir DIR)")
    args = parser.parse_args()
    build = os.path.join(ROOT, "build", "release")
    if not args.skip_build:
        subprocess.run(["cmake", "--preset", "release"], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["cmake", "--build", build, "--target", "fedns", "fedns_kube_sync_bench"], cwd=ROOT,
                       check=True)
    fedns = os.path.join(build, "src", "fedns")
    bench = os.path.join(build, "bench", "fedns_kube_sync_bench")
    fixture = os.path.join(ROOT, "tests", "cluster-fixture")
    with tempfile.TemporaryDirectory(prefix="fedns-catalog-bench-") as tmp:
        d = args.fixture_dir or os.path.join(tmp, "clusters")
        populated = os.path.join(d, "populated.json")
        reuse = args.fixture_dir and os.path.exists(populated)
        if reuse:
            with open(populated) as f:
                state = json.load(f)
            if (state["count"], state["endpoints"]) != (args.count, args.endpoints):
                sys.exit(f"{d} holds {state['count']} x {state['endpoints']}; stop it or pass the same --count")
        else:
            up = subprocess.run([fixture, "up", "3", "--json", "--dir", d], capture_output=True, text=True)
            if up.returncode != 0:
                sys.exit(f"cluster fixture failed:\n{up.stderr}")
            state = json.loads(up.stdout[up.stdout.index("{"):])
        procs = []
        try:
            kubeconfigs = [c["kubeconfig"] for c in state["clusters"]]
            start = time.monotonic()
            if not reuse:
                pops = [subprocess.Popen([bench, "populate", "--kubeconfig", k, "--count", str(args.count),
                                          "--endpoints", str(args.endpoints)],
                                         stdout=subprocess.PIPE, text=True) for k in kubeconfigs]
                for p in pops:
                    if p.wait() != 0:
                        sys.exit("populate failed")
                print(f"populated 3 clusters x {args.count} Services + EndpointSlices in "
                      f"{time.monotonic() - start:.0f} s")
                if args.fixture_dir:
                    with open(populated, "w") as f:
                        json.dump(dict(state, count=args.count, endpoints=args.endpoints), f)

            # Anchor: the same server with the zone and no clusters.
            empty, _, _, _ = start_fedns(fedns, tmp, "empty", "")
            procs.append(empty)
            time.sleep(1.0)
            empty_rss = rss_kib(empty.pid)

            clusters = "clusters:\n" + "".join(
                f"  - {{name: c{i}, kubeconfig: {k}}}\n" for i, k in enumerate(kubeconfigs))
            clusters += ("catalog:\n  zone: clusterset.local.\n  publish_address: endpoints\n"
                         "  export_all_namespaces: [" + ", ".join(f"bench-{n}" for n in range(10)) + "]\n")
            start = time.monotonic()
            proc, dns_port, metrics_port, log_path = start_fedns(fedns, tmp, "loaded", clusters, "debug")
            procs.append(proc)
            ready_at = None
            while time.monotonic() - start < 300:
                text = metrics(metrics_port)
                synced = metric(text, "fedns_cluster_synced")
                services = metric(text, "fedns_catalog_services")
                if len(synced) == 3 and all(v == 1 for v in synced) and services and services[0] >= args.count:
                    ready_at = time.monotonic() - start
                    break
                time.sleep(0.02)
            if ready_at is None:
                sys.exit("fedns did not get ready; see " + log_path)
            # RSS 1 s after ready (the load's temporaries may still be held), and settled: the catalog trims the
            # heap once a burst of rebuilds has been quiet for a tick (up to 2 s after the last one).
            time.sleep(1.0)
            early_rss = rss_kib(proc.pid)
            time.sleep(3.0)
            loaded_rss = rss_kib(proc.pid)
            endpoints = args.count * 3 * args.endpoints
            with open(log_path) as f:
                log_before = len(f.readlines())

            cpu_before = sum(int(x) for x in open(f"/proc/{proc.pid}/stat").read().rsplit(")", 1)[1].split()[11:13])
            out = subprocess.run([bench, "propagate", "--kubeconfigs", ",".join(kubeconfigs), "--dns-port",
                                  str(dns_port), "--count", str(args.count), "--changes", str(args.changes)],
                                 capture_output=True, text=True)
            cpu_after = sum(int(x) for x in open(f"/proc/{proc.pid}/stat").read().rsplit(")", 1)[1].split()[11:13])
            if out.returncode != 0:
                sys.exit(f"propagate failed:\n{out.stdout}{out.stderr}")
            prop = {k: float(v) for k, v in (line.split() for line in out.stdout.splitlines())}
            with open(log_path) as f:
                lines = f.readlines()[log_before:]
            builds = [(int(m.group(1)), int(m.group(2)), int(m.group(3))) for m in
                      (re.search(r"built in (\d+) us \((\d+) shard\(s\), (\d+) node\(s\) copied\)", l) for l in lines)
                      if m]
        finally:
            for p in procs:
                p.terminate()
                p.wait()
            if not args.fixture_dir:
                subprocess.run([fixture, "down", "--dir", d], capture_output=True)

    clk = os.sysconf("SC_CLK_TCK")
    print(f"\ncatalog: {args.count} services x 3 clusters, {endpoints} endpoints")
    print(f"start-to-ready: {ready_at:.2f} s (3 clusters listed, every service merged and published)")
    per_endpoint = (loaded_rss - empty_rss) * 1024 / endpoints
    print(f"RSS: {loaded_rss / 1024:.1f} MiB loaded and settled ({early_rss / 1024:.1f} MiB 1 s after ready), "
          f"{empty_rss / 1024:.1f} MiB without clusters (anchor) -> {per_endpoint:.0f} B per endpoint settled, "
          f"{(early_rss - empty_rss) * 1024 / endpoints:.0f} B 1 s after ready (informer caches, catalog and DNS "
          f"names together)")
    print(f"propagation over {args.changes:.0f} changes: p50 {prop['p50_ms']:.1f} ms, p90 {prop['p90_ms']:.1f} ms, "
          f"p99 {prop['p99_ms']:.1f} ms, max {prop['max_ms']:.1f} ms, timeouts {prop['timeouts']:.0f}")
    if builds:
        us = sorted(b[0] for b in builds)
        print(f"snapshot builds during the changes: {len(builds)}; build time median {statistics.median(us):.0f} us, "
              f"p99 {us[min(len(us) - 1, int(0.99 * len(us)))]} us; shards copied median "
              f"{statistics.median(b[1] for b in builds):.0f}, nodes copied median "
              f"{statistics.median(b[2] for b in builds):.0f} (of ~{args.count * 4} generated names)")
    print(f"fedns CPU during the changes: {(cpu_after - cpu_before) / clk * 1000 / args.changes:.2f} ms per change "
          "(watch events, merge, snapshot, and the poller's queries)")
    print(f"\ntargets: p99 {prop['p99_ms']:.1f} ms (< 100 ms: {'met' if prop['p99_ms'] < 100 else 'MISSED'}); "
          f"{per_endpoint:.0f} B/endpoint (< 1024: {'met' if per_endpoint < 1024 else 'MISSED'})")


if __name__ == "__main__":
    main()
