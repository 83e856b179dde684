#!/usr/bin/env python3
"""Kubernetes client benchmark: initial sync of 10,000 Services + 10,000 EndpointSlices from a real
kube-apiserver, and watch-event throughput on one core.

Starts one cluster with tests/cluster-fixture (built once, cached), fills it through fedns_kube_sync_bench
populate, then runs `sync` (two reflectors on one io_context; anchor: fetching the same LIST pages without
parsing) and `replay` (real objects as MODIFIED events streamed over TLS to a reflector; anchor: parsing the same
lines alone, with nlohmann::json and with simdjson). The apiserver's CPU during the sync is read from /proc so the server's own
serialisation is reported apart from our client's.

Usage: bench/kube_sync_bench.py [--count 10000] [--rounds 10] [--skip-build]
Targets (issue 3): sync under 2 s; more than 50,000 events/s per core.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def run_bench(binary, *args):
    out = subprocess.run([binary, *args], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{binary} {args[0]} failed:\n{out.stdout}{out.stderr}")
    return {k: float(v) for k, v in (line.split() for line in out.stdout.splitlines())}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=10, help="replay passes over the Services")
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    build = os.path.join(ROOT, "build", "release")
    if not args.skip_build:
        subprocess.run(["cmake", "--preset", "release"], cwd=ROOT, check=True, capture_output=True)
        subprocess.run(["cmake", "--build", build, "--target", "fedns_kube_sync_bench"], cwd=ROOT, check=True)
    binary = os.path.join(build, "bench", "fedns_kube_sync_bench")
    fixture = os.path.join(ROOT, "tests", "cluster-fixture")
    with tempfile.TemporaryDirectory(prefix="fedns-kube-bench-") as tmp:
        d = os.path.join(tmp, "clusters")
        up = subprocess.run([fixture, "up", "1", "--json", "--dir", d], capture_output=True, text=True)
        if up.returncode != 0:
            sys.exit(f"cluster fixture failed:\n{up.stderr}")
        state = json.loads(up.stdout[up.stdout.index("{"):])
        try:
            cluster = state["clusters"][0]
            kubeconfig = cluster["kubeconfig"]
            pop = run_bench(binary, "populate", "--kubeconfig", kubeconfig, "--count", str(args.count))
            print(f"populated {args.count} Services + {args.count} EndpointSlices in {pop['populate_seconds']:.1f} s")
            runs = []
            for _ in range(3):
                server_cpu = cpu_seconds(cluster["pid"])
                s = run_bench(binary, "sync", "--kubeconfig", kubeconfig)
                s["server_cpu_seconds"] = cpu_seconds(cluster["pid"]) - server_cpu
                runs.append(s)
            replay = run_bench(binary, "replay", "--kubeconfig", kubeconfig, "--cert",
                               os.path.join(d, "pki", "serving.crt"), "--key", os.path.join(d, "pki", "serving.key"),
                               "--rounds", str(args.rounds))
        finally:
            subprocess.run([fixture, "down", "--dir", d], capture_output=True)

    print("\nInitial sync (3 runs; both LISTs in pages of 500, the anchor fetches the same pages unparsed)")
    print("| run | objects | MiB listed | sync s | anchor fetch s | sync/anchor | client CPU s | apiserver CPU s"
          " | heap B/object |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for i, s in enumerate(runs, 1):
        print(f"| {i} | {s['objects']:.0f} | {s['list_bytes'] / 2**20:.1f} | {s['sync_seconds']:.2f} | "
              f"{s['raw_fetch_seconds']:.2f} | {s['sync_seconds'] / s['raw_fetch_seconds']:.2f} | "
              f"{s['sync_client_cpu_seconds']:.2f} | {s['server_cpu_seconds']:.2f} | "
              f"{s['heap_bytes_per_object']:.0f} |")
    events = replay["replay_events"]
    print(f"\nWatch replay: {events:.0f} MODIFIED events ({replay['replay_bytes'] / 2**20:.1f} MiB) over TLS, "
          "reflector on one thread")
    print(f"  client CPU {replay['replay_client_cpu_seconds']:.2f} s -> "
          f"{replay['events_per_cpu_second']:,.0f} events per CPU second "
          f"({1e6 / replay['events_per_cpu_second']:.1f} us/event); wall {replay['replay_wall_seconds']:.2f} s")
    print(f"  anchors, parse only: nlohmann::json {replay['parse_only_events_per_second']:,.0f} events/s "
          f"(ours/it: {replay['events_per_cpu_second'] / replay['parse_only_events_per_second']:.2f}x); "
          f"simdjson DOM {replay['simdjson_parse_only_events_per_second']:,.0f} events/s "
          f"(ours/it: {replay['events_per_cpu_second'] / replay['simdjson_parse_only_events_per_second']:.2f}x)")
    best = min(s["sync_seconds"] for s in runs)
    print(f"\ntargets: sync {best:.2f} s (< 2 s: {'met' if best < 2 else 'MISSED'}); "
          f"{replay['events_per_cpu_second']:,.0f} events/s/core (> 50,000: "
          f"{'met' if replay['events_per_cpu_second'] > 50000 else 'MISSED'})")


if __name__ == "__main__":
    main()
