#!/usr/bin/env python3
"""Serve one generated zone from fedns, NSD and Knot DNS in the same run, load each with dnsperf, and compare.

Prints per server: QPS, server CPU microseconds per query (from /proc/PID/stat of the server and its
descendants, before and after the load), RSS, and the ratio fedns / best anchor. On a 2-core machine dnsperf
itself saturates around 200-280k QPS, so CPU per query is the figure that matters; every server runs one
worker so the comparison is per core.

Usage: bench/dnsperf_compare.py [--seconds N] [--names N] [--skip-build]
"""
import argparse
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, socket.socket() as t:
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u.bind(("127.0.0.1", port))
        return port


def generate(dirname, names, rng):
    zone = os.path.join(dirname, "bench.test.zone")
    queries = os.path.join(dirname, "queries.txt")
    with open(zone, "w") as z:
        z.write("$ORIGIN bench.test.\n$TTL 300\n")
        z.write("@ 3600 IN SOA ns1.bench.test. hostmaster.bench.test. 1 3600 600 604800 60\n")
        z.write("@ IN NS ns1\nns1 IN A 127.0.0.1\n")
        for i in range(names):
            for k in range(3):
                z.write(f"name{i} IN A 10.{i >> 8 & 255}.{i & 255}.{k + 1}\n")
            if i % 10 == 0:
                z.write(f"_http._tcp.name{i} IN SRV 0 5 80 name{i}\n")
    with open(queries, "w") as q:
        for _ in range(200_000):
            r = rng.random()
            i = rng.randrange(names)
            if r < 0.05:
                q.write(f"missing{rng.randrange(10**9)}.bench.test A\n")  # 5% NXDOMAIN
            elif r < 0.15:
                j = i - i % 10
                q.write(f"_http._tcp.name{j}.bench.test SRV\n")
            else:
                q.write(f"name{i}.bench.test A\n")
    return zone, queries


def tree_pids(pid):
    """The process and all its descendants (NSD forks its serving process)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_user_system(pid):
    """(utime, stime) in seconds of the process and its descendants, all threads."""
    user = system = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            user += int(fields[11])
            system += int(fields[12])
        except OSError:
            pass
    return user / CLK_TCK, system / CLK_TCK


def cpu_seconds(pid):
    return sum(cpu_user_system(pid))


def rss_mib(pid):
    total = 0
    for p in tree_pids(pid):
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except OSError:
            pass
    return total / (1 << 20)


def wait_ready(port, timeout=30):
    query = struct.pack(">HHHHHH", 7, 0, 1, 0, 0, 0) + b"\x05bench\x04test\x00" + struct.pack(">HH", 6, 1)
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.2)
            try:
                s.sendto(query, ("127.0.0.1", port))
                reply = s.recv(4096)
                if len(reply) > 3 and reply[3] & 0x0F == 0:
                    return
            except OSError:
                pass
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not answer")


def start_fedns(d, zone, port, binary):
    conf = os.path.join(d, "fedns.yaml")
    with open(conf, "w") as f:
        f.write(f'server:\n  listen: ["127.0.0.1:{port}"]\n  workers: 1\n'
                f'zones:\n  - origin: bench.test.\n    file: {zone}\n')
    return subprocess.Popen([binary, "serve", "--config", conf, "--log-level", "warn"])


def start_nsd(d, zone, port):
    conf = os.path.join(d, "nsd.conf")
    with open(conf, "w") as f:
        f.write(f"""server:
  ip-address: 127.0.0.1@{port}
  server-count: 1
  username: ""
  zonesdir: "{d}"
  pidfile: "{d}/nsd.pid"
  database: ""
  zonelistfile: "{d}/zone.list"
  xfrdfile: "{d}/xfrd.state"
  xfrdir: "{d}"
  logfile: "{d}/nsd.log"
  verbosity: 0
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: bench.test
  zonefile: "{zone}"
""")
    return subprocess.Popen(["/usr/sbin/nsd", "-d", "-c", conf])


def start_knot(d, zone, port, extra="", zone_extra=""):
    """Knot DNS serving bench.test. from `zone`, one worker of each kind; `extra` adds top-level sections (keys,
    ACLs) and `zone_extra` lines to the zone's entry."""
    conf = os.path.join(d, "knot.conf")
    with open(conf, "w") as f:
        f.write(f"""server:
    rundir: "{d}"
    listen: 127.0.0.1@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: error
database:
    storage: "{d}"
{extra}zone:
  - domain: bench.test
    file: "{zone}"
    journal-content: none
    zonefile-sync: -1
{zone_extra}""")
    return subprocess.Popen(["/usr/sbin/knotd", "-c", conf])


def run_dnsperf(port, queries, seconds):
    out = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", queries, "-l", str(seconds),
                          "-c", "4", "-q", "200", "-S", "0"], capture_output=True, text=True, check=True).stdout
    completed = int(re.search(r"Queries completed:\s+(\d+)", out).group(1))
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", out).group(1))
    lost = int(re.search(r"Queries lost:\s+(\d+)", out).group(1))
    # The mix is answers and 5% NXDOMAIN: any other code means the server is not doing the measured work.
    codes = re.search(r"Response codes:\s+(.*)", out).group(1)
    if set(re.findall(r"([A-Z]+) \d+", codes)) - {"NOERROR", "NXDOMAIN"}:
        raise RuntimeError(f"port {port}: unexpected response codes: {codes}")
    return completed, qps, lost


def measure(name, proc, port, queries, seconds):
    wait_ready(port)
    run_dnsperf(port, queries, 1)  # warm-up
    before = cpu_seconds(proc.pid)
    completed, qps, lost = run_dnsperf(port, queries, seconds)
    after = cpu_seconds(proc.pid)
    rss = rss_mib(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    return {"name": name, "qps": qps, "lost": lost, "completed": completed,
            "cpu_us": (after - before) * 1e6 / max(completed, 1), "rss": rss}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    if not args.skip_build:
        subprocess.run([os.path.join(ROOT, "scripts", "install-deps")], check=True)
        subprocess.run(["cmake", "--preset", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", "--preset", "release", "--target", "fedns"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, "build", "release", "src", "fedns")
    rng = random.Random(2026)
    d = tempfile.mkdtemp(prefix="fedns-bench-")
    try:
        zone, queries = generate(d, args.names, rng)
        results = []
        for name, start in (("fedns", lambda p: start_fedns(d, zone, p, binary)),
                            ("nsd", lambda p: start_nsd(d, zone, p)),
                            ("knot", lambda p: start_knot(d, zone, p))):
            port = free_port()
            results.append(measure(name, start(port), port, queries, args.seconds))
        with open("/proc/cpuinfo") as f:
            model = re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
        print(f"\n{args.names} names x 3 A (+SRV every 10th), 5% NXDOMAIN, {args.seconds}s dnsperf per server, "
              f"one server worker; {os.cpu_count()} cores, {model}")
        print(f"{'server':8} {'QPS':>10} {'lost':>7} {'CPU us/query':>13} {'RSS MiB':>8}")
        for r in results:
            print(f"{r['name']:8} {r['qps']:10.0f} {r['lost']:7d} {r['cpu_us']:13.2f} {r['rss']:8.1f}")
        fedns = results[0]
        for anchor in results[1:]:
            print(f"ratio fedns/{anchor['name']}: CPU per query {fedns['cpu_us'] / anchor['cpu_us']:.2f} "
                  f"(lower is better), QPS {fedns['qps'] / max(anchor['qps'], 1):.2f}")
        best = min(results[1:], key=lambda r: r["cpu_us"])
        print(f"ratio fedns/best anchor ({best['name']}), CPU per query: {fedns['cpu_us'] / best['cpu_us']:.2f}")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
