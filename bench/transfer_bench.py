#!/usr/bin/env python3
"""Zone transfer out: fedns against Knot DNS serving the same zone in the same run, and IXFR against AXFR.

1. A static zone (--names names, 3 A records each, an SRV for every tenth: the dnsperf zone) served by fedns
   and by Knot DNS as primaries, each transferring it by AXFR with TSIG (hmac-sha256) to kdig, --runs times:
   median wall time, the server's mean CPU time per transfer, and the ratios fedns / Knot.
2. A catalog zone of --services exported services read from a manifest directory: after one service changes,
   IXFR from the previous serial against AXFR of the whole zone (records, octets, server CPU).

Usage: bench/transfer_bench.py [--names N] [--services N] [--runs N] [--skip-build]
"""
import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsperf_compare as dc  # noqa: E402  (its server helpers: ports, CPU time, readiness)

SECRET = "YmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtYmVuY2g="
KEY = f"hmac-sha256:xfr-key:{SECRET}"


def kdig(port, args):
    started = time.monotonic()
    out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(port), "-y", KEY, "+time=60", "+noall", "+stats"] + args,
                         capture_output=True, text=True, check=True).stdout
    wall = time.monotonic() - started
    m = re.search(r"Received (\d+) B \((\d+) messages, (\d+) records\)", out)
    if not m:
        raise RuntimeError("kdig: " + out)
    return wall, int(m.group(1)), int(m.group(3))


def transfer(proc, port, args, runs):
    walls, cpus = [], []
    for _ in range(runs):
        before = dc.cpu_seconds(proc.pid)
        wall, octets, records = kdig(port, args)
        cpus.append(dc.cpu_seconds(proc.pid) - before)
        walls.append(wall)
    # CPU time is read in clock ticks (10 ms): the mean over the runs, not the median of coarse values.
    return statistics.median(walls), sum(cpus) / runs, octets, records


def transfer_config(port):
    return (f'server:\n  listen: ["127.0.0.1:{port}"]\n  workers: 1\n'
            f"transfer:\n  keys: [{{name: xfr-key, secret: \"{SECRET}\"}}]\n"
            f"  secondaries: [{{name: bench, key: xfr-key}}]\n")


def static_zone(d, names, runs, binary):
    zone, _ = dc.generate(d, names, random.Random(7))
    fport, kport = dc.free_port(), dc.free_port()
    conf = os.path.join(d, "fedns.yaml")
    with open(conf, "w") as f:
        f.write(transfer_config(fport) + f"zones:\n  - origin: bench.test.\n    file: {zone}\n")
    fedns = subprocess.Popen([binary, "serve", "--config", conf, "--log-level", "warn"])
    knot = dc.start_knot(d, zone, kport,
                         extra=f"key:\n  - id: xfr-key\n    algorithm: hmac-sha256\n    secret: {SECRET}\n"
                               "acl:\n  - id: bench\n    key: xfr-key\n    action: transfer\n",
                         zone_extra="    acl: bench\n")
    try:
        dc.wait_ready(fport, 120)
        dc.wait_ready(kport, 120)
        results = {name: transfer(proc, port, ["bench.test", "AXFR"], runs)
                   for name, proc, port in (("fedns", fedns, fport), ("knot", knot, kport))}
    finally:
        for p in (fedns, knot):
            p.terminate()
            p.wait()
    print(f"\nAXFR of a static zone ({names} names), {runs} runs (wall: median, CPU: mean):")
    print(f"{'server':8} {'records':>9} {'octets':>11} {'wall ms':>9} {'CPU ms':>8}")
    for name, (wall, cpu, octets, records) in results.items():
        print(f"{name:8} {records:>9} {octets:>11} {wall * 1000:>9.1f} {cpu * 1000:>8.1f}")
    f, k = results["fedns"], results["knot"]
    print(f"fedns/knot: wall {f[0] / k[0]:.2f}, CPU {f[1] / max(k[1], 1e-3):.2f}, octets {f[2] / k[2]:.2f}")


def service(i, address):
    return (f"apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}, namespace: bench}}\n"
            f"spec:\n  clusterIP: {address}\n  ports: [{{name: http, protocol: TCP, port: 80}}]\n---\n"
            f"apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\n"
            f"metadata: {{name: s{i}, namespace: bench, creationTimestamp: \"2026-01-01T00:00:00Z\"}}\n---\n")


def soa_serial(port):
    out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(port), "+short", "clusterset.local", "SOA"],
                         capture_output=True, text=True).stdout.split()
    return int(out[2]) if len(out) > 2 else None


def catalog_zone(d, services, runs, binary):
    east = os.path.join(d, "east")
    os.makedirs(east)
    with open(os.path.join(east, "all.yaml"), "w") as f:
        for i in range(services):
            f.write(service(i, f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"))
    port = dc.free_port()
    conf = os.path.join(d, "fedns-catalog.yaml")
    with open(conf, "w") as f:
        f.write(transfer_config(port) +
                "zones:\n  - origin: clusterset.local.\n    ttl: 5\n    soa: {serial: 1}\n"
                "    ns: [{name: ns1.clusterset.local., addresses: [127.0.0.1]}]\n"
                f"clusters:\n  - {{name: east, manifests: {east}, manifests_poll: 200ms}}\n")
    fedns = subprocess.Popen([binary, "serve", "--config", conf, "--log-level", "warn"])
    try:
        last = f"s{services - 1}.bench.svc.clusterset.local"
        deadline = time.time() + 300
        while time.time() < deadline:
            out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(port), "+short", last, "A"],
                                 capture_output=True, text=True).stdout
            if out.strip():
                break
            time.sleep(0.5)
        else:
            raise RuntimeError("the catalog did not load")
        time.sleep(1)
        before = soa_serial(port)
        with open(os.path.join(east, "change.yaml"), "w") as f:
            f.write(service(services, "192.0.2.1"))
        deadline = time.time() + 60
        while soa_serial(port) == before and time.time() < deadline:
            time.sleep(0.1)
        after = soa_serial(port)
        full = transfer(fedns, port, ["clusterset.local", "AXFR"], runs)
        incremental = transfer(fedns, port, ["clusterset.local", f"IXFR={before}"], runs)
    finally:
        fedns.terminate()
        fedns.wait()
    print(f"\nCatalog zone of {services} services, one service added (serial {before} -> {after}), {runs} runs:")
    print(f"{'transfer':8} {'records':>9} {'octets':>11} {'wall ms':>9} {'CPU ms':>8}")
    for name, (wall, cpu, octets, records) in (("AXFR", full), ("IXFR", incremental)):
        print(f"{name:8} {records:>9} {octets:>11} {wall * 1000:>9.1f} {cpu * 1000:>8.1f}")
    print(f"IXFR/AXFR: octets {incremental[2] / full[2]:.5f}, wall {incremental[0] / full[0]:.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    if not args.skip_build:
        subprocess.run(["cmake", "--preset", "release"], cwd=dc.ROOT, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", "--preset", "release", "--target", "fedns"], cwd=dc.ROOT, check=True)
    binary = os.path.join(dc.ROOT, "build", "release", "src", "fedns")
    with tempfile.TemporaryDirectory() as d:
        static_zone(d, args.names, args.runs, binary)
    with tempfile.TemporaryDirectory() as d:
        catalog_zone(d, args.services, args.runs, binary)


if __name__ == "__main__":
    main()
