#!/usr/bin/env python3
"""Geo-nearest answers with EDNS Client Subnet from fedns, gdnsd (geoip plugin) and PowerDNS (LUA pickclosest),
serving the same names in the same run, each loaded by dnsperf; fedns serving the same names as static records
is the anchor for what a dynamic answer costs over a static one.

Every server has the same 1,000 names <svcN>.bench.svc.clusterset.local, each with three addresses in three
datacenters (Frankfurt, Virginia, Sydney: addresses the GeoLite2 database places there, which PowerDNS's
pickclosest needs), and answers each client the nearest one by great-circle distance, with the client placed
by MaxMind's GeoLite2-City database (scripts/fetch-geoip --maxmind). dnsperf sends ECS for a British, an
American and an Australian /24 in turn (dnsperf takes one option value per run: three runs of equal length).
One server worker each; caches off (PowerDNS's packet and query caches) so that every answer is computed.

Prints per server: QPS, server CPU microseconds per query (utime+stime of the server's processes around the
load), the answers' correctness (the expected address for each client), and the ratios the issue sets:
fedns/gdnsd <= 1, fedns/PowerDNS-LUA <= 0.2.

With two or more cores, every server runs on core 0 and dnsperf on core 1 (--no-pin: wherever the scheduler
puts them). A server sharing a core with its load generator, or moving between cores, pays costs that are not
its own; pinned, the rounds scatter less.

Usage: bench/policy_compare.py [--seconds N] [--names N] [--rounds N] [--skip-build] [--no-pin]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dnsperf_compare import cpu_user_system, free_port, rss_mib  # noqa: E402  (same measuring as the static bench)

# Prefixes for the servers' and dnsperf's commands (main() sets them unless --no-pin).
SERVER_CPU = []
LOAD_CPU = []

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATACENTERS = [  # name, coordinates, an address GeoLite2 places there
    ("frankfurt", (50.1, 8.7), "3.120.0.1"),
    ("virginia", (38.9, -77.0), "3.80.0.1"),
    ("sydney", (-33.9, 151.2), "3.104.0.1"),
]
CLIENTS = [  # ECS subnet, its option data for dnsperf -E, the address the nearest datacenter answers
    # (RFC 7871 6: a /24 carries exactly three address octets; a fourth makes the option malformed, which fedns
    # answers FORMERR as the RFC says and gdnsd accepts: this benchmark once compared those FORMERRs)
    ("81.2.69.0/24", "00011800510245", "3.120.0.1"),  # London
    ("8.8.8.0/24", "00011800080808", "3.80.0.1"),  # United States
    ("1.128.0.0/24", "00011800018000", "3.104.0.1"),  # Brisbane
]


def names(count):
    return [f"svc{i}" for i in range(count)]


def write_queries(d, count):
    path = os.path.join(d, "queries.txt")
    with open(path, "w") as q:
        for i in range(count):
            q.write(f"svc{i}.bench.svc.clusterset.local A\n")
    return path


def start_fedns(d, count, port, binary, mmdb, static):
    conf = os.path.join(d, "fedns.yaml")
    zone = ("zones:\n  - origin: clusterset.local.\n    ttl: 5\n    soa: {serial: 1, minimum: 5}\n"
            "    ns: [ns1.clusterset.local.]\n")
    if static:  # the anchor: the same names, one static address each
        zone += "    records: |\n" + "".join(f"      {n}.bench.svc 5 IN A 3.120.0.1\n" for n in names(count))
        body = ""
    else:
        body = "clusters:\n"
        for name, (lat, lon), address in DATACENTERS:
            cdir = os.path.join(d, "fedns-" + name)
            os.makedirs(cdir, exist_ok=True)
            with open(os.path.join(cdir, "services.yaml"), "w") as f:
                for n in names(count):
                    f.write(f"apiVersion: v1\nkind: Service\nmetadata: {{name: {n}, namespace: bench, annotations: "
                            f"{{fedns.io/answer-policy: '{{steps: [geo-nearest]}}'}}}}\n"
                            f"spec: {{clusterIP: {address}, ports: [{{name: http, protocol: TCP, port: 80}}]}}\n---\n")
            body += (f"  - {{name: {name}, manifests: {cdir}, region: {name}, "
                     f"location: {{latitude: {lat}, longitude: {lon}}}}}\n")
        body += ("catalog:\n  export_all_namespaces: [bench]\n"
                 f"geo:\n  geoip: [{mmdb}]\n")
    with open(conf, "w") as f:
        f.write(f'server:\n  listen: ["127.0.0.1:{port}"]\n  workers: 1\n' + zone + body)
    return subprocess.Popen(SERVER_CPU + [binary, "serve", "--config", conf, "--log-level", "warn"])


def start_gdnsd(d, count, port, mmdb):
    g = os.path.join(d, "gdnsd")
    for sub in ("zones", "run", "state"):
        os.makedirs(os.path.join(g, sub), exist_ok=True)
    coords = ", ".join(f"{n} => [{lat}, {lon}]" for n, (lat, lon), _ in DATACENTERS)
    dcmap = ", ".join(f"{n} => {a}" for n, _, a in DATACENTERS)
    with open(os.path.join(g, "config"), "w") as f:
        f.write(f"""options => {{
  listen => [ 127.0.0.1:{port} ]
  udp_threads => 1
  tcp_threads => 1
  run_dir => {g}/run
  state_dir => {g}/state
}}
plugins => {{
  geoip => {{
    maps => {{
      world => {{
        geoip2_db => {mmdb}
        datacenters => [{", ".join(n for n, _, _ in DATACENTERS)}]
        auto_dc_coords => {{ {coords} }}
        auto_dc_limit => 1
      }}
    }}
    resources => {{
""")
        for n in names(count):
            f.write(f"      {n} => {{ map => world, service_types => up, dcmap => {{ {dcmap} }} }}\n")
        f.write("    }\n  }\n}\n")
    with open(os.path.join(g, "zones", "clusterset.local"), "w") as f:
        f.write("@ 5 SOA ns1 hostmaster 1 3600 600 604800 5\n@ 5 NS ns1\nns1 5 A 127.0.0.1\n")
        for n in names(count):
            f.write(f"{n}.bench.svc 5 DYNA geoip!{n}\n")
    return subprocess.Popen(SERVER_CPU + ["gdnsd", "-c", g, "start"], stderr=subprocess.DEVNULL)


def start_pdns(d, count, port, mmdb):
    p = os.path.join(d, "pdns")
    os.makedirs(p, exist_ok=True)
    addresses = ",".join(f"'{a}'" for _, _, a in DATACENTERS)
    with open(os.path.join(p, "clusterset.local.zone"), "w") as f:
        f.write("$ORIGIN clusterset.local.\n@ 5 IN SOA ns1 hostmaster 1 3600 600 604800 5\n@ 5 IN NS ns1\n"
                "ns1 5 IN A 127.0.0.1\n")
        for n in names(count):
            f.write(f"{n}.bench.svc 5 IN LUA A \"pickclosest({{{addresses}}})\"\n")
    with open(os.path.join(p, "named.conf"), "w") as f:
        f.write(f'zone "clusterset.local" {{ type master; file "{p}/clusterset.local.zone"; }};\n')
    with open(os.path.join(p, "geo.yaml"), "w") as f:
        f.write("domains: []\n")
    with open(os.path.join(p, "pdns.conf"), "w") as f:
        f.write(f"""launch=bind,geoip
bind-config={p}/named.conf
geoip-database-files=mmdb:{mmdb}
geoip-zones-file={p}/geo.yaml
enable-lua-records=yes
edns-subnet-processing=yes
cache-ttl=0
query-cache-ttl=0
negquery-cache-ttl=0
receiver-threads=1
distributor-threads=1
local-address=127.0.0.1
local-port={port}
socket-dir={p}
guardian=no
daemon=no
disable-syslog=yes
loglevel=3
""")
    return subprocess.Popen(SERVER_CPU + ["pdns_server", f"--config-dir={p}"], stderr=subprocess.DEVNULL)


def dig_short(port, subnet, name):
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "+short", "+time=1", "+tries=1",
                          f"+subnet={subnet}", name], capture_output=True, text=True).stdout
    return [line for line in out.strip().splitlines() if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", line)]


def wait_answers(port, name, tries=150):
    import time
    for _ in range(tries):
        if dig_short(port, CLIENTS[0][0], name):
            return True
        time.sleep(0.1)
    return False


def run_dnsperf(port, queries, seconds, ecs_hex):
    out = subprocess.run(LOAD_CPU + ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", queries, "-l", str(seconds),
                          "-c", "4", "-q", "200", "-S", "0", "-e", "-E", f"8:{ecs_hex}"],
                         capture_output=True, text=True, check=True).stdout
    completed = int(re.search(r"Queries completed:\s+(\d+)", out).group(1))
    lost = int(re.search(r"Queries lost:\s+(\d+)", out).group(1))
    # Every reply must be an answer: a server that answers FORMERR or SERVFAIL fast is not being measured.
    codes = re.search(r"Response codes:\s+(.*)", out).group(1)
    if not re.fullmatch(r"NOERROR \d+ \(100\.00%\)", codes.strip()):
        raise RuntimeError(f"port {port}: not every reply is NOERROR: {codes}")
    return completed, lost


def measure(name, proc, port, queries, seconds, count, static):
    probe = f"svc{count - 1}.bench.svc.clusterset.local"
    if not wait_answers(port, probe):
        proc.kill()
        raise RuntimeError(f"{name} did not answer {probe}")
    correct = all(dig_short(port, subnet, probe) == [expected] for subnet, _, expected in CLIENTS)
    for _, ecs, _ in CLIENTS:  # warm-up
        run_dnsperf(port, queries, 1, ecs)
    before = cpu_user_system(proc.pid)
    completed = lost = 0
    per = max(1, seconds // len(CLIENTS))
    for _, ecs, _ in CLIENTS:
        c, l = run_dnsperf(port, queries, per, ecs)
        completed += c
        lost += l
    after = cpu_user_system(proc.pid)
    rss = rss_mib(proc.pid)
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    return {"name": name, "qps": completed / (per * len(CLIENTS)), "lost": lost, "completed": completed,
            "cpu_us": (sum(after) - sum(before)) * 1e6 / max(completed, 1),
            "user_us": (after[0] - before[0]) * 1e6 / max(completed, 1),
            "sys_us": (after[1] - before[1]) * 1e6 / max(completed, 1), "rss": rss,
            "correct": "static" if static else ("yes" if correct else "NO")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=9)
    parser.add_argument("--names", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args()
    pinned = not args.no_pin and os.cpu_count() >= 2 and shutil.which("taskset") is not None
    if pinned:  # taskset execs the command: the PID measured is the server's own
        SERVER_CPU[:] = ["taskset", "-c", "0"]
        LOAD_CPU[:] = ["taskset", "-c", "1"]
    for tool, package in (("gdnsd", "gdnsd"), ("pdns_server", "pdns-server pdns-backend-bind pdns-backend-geoip"),
                          ("dnsperf", "dnsperf")):
        if shutil.which(tool) is None:
            subprocess.run(["apt-get", "install", "-y", "-q"] + package.split(), check=True,
                           stdout=subprocess.DEVNULL, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if not args.skip_build:
        subprocess.run(["cmake", "--preset", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", "--preset", "release", "--target", "fedns"], cwd=ROOT, check=True)
    mmdb = subprocess.run([os.path.join(ROOT, "scripts", "fetch-geoip"), "--maxmind"], capture_output=True,
                          text=True, check=True).stdout.strip()
    binary = os.path.join(ROOT, "build", "release", "src", "fedns")
    d = tempfile.mkdtemp(prefix="fedns-policy-bench-")
    try:
        queries = write_queries(d, args.names)
        servers = (("fedns-static", lambda p: start_fedns(d, args.names, p, binary, mmdb, True), True),
                   ("fedns", lambda p: start_fedns(d, args.names, p, binary, mmdb, False), False),
                   ("gdnsd", lambda p: start_gdnsd(d, args.names, p, mmdb), False),
                   ("pdns-lua", lambda p: start_pdns(d, args.names, p, mmdb), False))
        # Rounds interleave the servers (this VM's noise drifts over minutes); each server's median round
        # counts. PowerDNS, two orders of magnitude slower, runs once.
        rounds = {name: [] for name, _, _ in servers}
        for r in range(args.rounds):
            for name, start, static in servers:
                if name == "pdns-lua" and r > 0:
                    continue
                port = free_port()
                rounds[name].append(measure(name, start(port), port, queries, args.seconds, args.names, static))
        results = []
        for name, _, _ in servers:
            ordered = sorted(rounds[name], key=lambda m: m["cpu_us"])
            median = dict(ordered[len(ordered) // 2])
            median["all"] = " ".join(f"{m['cpu_us']:.2f}" for m in rounds[name])
            median["correct"] = "NO" if any(m["correct"] == "NO" for m in rounds[name]) else median["correct"]
            results.append(median)
        with open("/proc/cpuinfo") as f:
            model = re.search(r"model name\s*:\s*(.*)", f.read()).group(1)
        print(f"\n{args.names} geo-nearest names, ECS from GB/US/AU, {args.seconds}s dnsperf per server and round, "
              f"one server worker{', servers on core 0 and dnsperf on core 1' if pinned else ''}; "
              f"{os.cpu_count()} cores, {model}")
        print(f"{'server':13} {'QPS':>10} {'lost':>7} {'CPU us/query':>13} {'user':>6} {'system':>6} {'RSS MiB':>8} "
              f"{'nearest?':>9}  rounds")
        for r in results:
            print(f"{r['name']:13} {r['qps']:10.0f} {r['lost']:7d} {r['cpu_us']:13.2f} {r['user_us']:6.2f} "
                  f"{r['sys_us']:6.2f} {r['rss']:8.1f} "
                  f"{r['correct']:>9}  {r['all']}")
        by = {r["name"]: r for r in results}
        fedns = by["fedns"]["cpu_us"]
        print(f"ratio fedns/fedns-static (dynamic over static): {fedns / by['fedns-static']['cpu_us']:.2f}")
        print(f"ratio fedns/gdnsd: {fedns / by['gdnsd']['cpu_us']:.2f} (target <= 1)")
        # The same ratio round by round: each round runs the servers back to back, so this VM's drift over
        # minutes (which moves the system time of every server alike) cancels within a round.
        paired = sorted(f["cpu_us"] / g["cpu_us"] for f, g in zip(rounds["fedns"], rounds["gdnsd"]))
        mean = statistics.fmean(paired)
        spread = 2 * statistics.stdev(paired) / len(paired) ** 0.5 if len(paired) > 1 else float("nan")
        print(f"ratio fedns/gdnsd per round: {' '.join(f'{r:.3f}' for r in paired)}, "
              f"median {paired[len(paired) // 2]:.3f}, mean {mean:.3f} +- {spread:.3f} (2 standard errors)")
        print(f"ratio fedns/pdns-lua: {fedns / by['pdns-lua']['cpu_us']:.2f} (target <= 0.2)")
        return 0 if all(r["correct"] != "NO" for r in results) else 1
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
