#!/usr/bin/env python3
"""Hostile GraphQL documents and article bodies against a real server: how much CPU each
costs before it is answered, and whether /healthz stays quick while several run at once. A
measurement, never a test (the test suite asserts what is refused, not how fast).

    python3 bench/hostile.py            # builds the release binary first
    python3 bench/hostile.py --no-build

Every document is at most 32 KiB, the largest the server reads. CPU time is the server
process's, summed over its threads from /proc/PID/task/*/schedstat (nanoseconds), before and
after each request, with nothing else sent meanwhile. Writes a Markdown table to
bench/results/.
"""

import argparse
import concurrent.futures
import datetime
import glob
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from run import free_port  # bench/run.py, beside this script

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "colophon")
RESULTS = os.path.join(ROOT, "bench", "results")
LIMIT = 32 * 1024


def doubling(n, alias=False):
    """Fragment f0 selects two fields; each next one spreads the one before twice."""
    spread = "a: site { ...f%d } b: site { ...f%d }" if alias else "...f%d ...f%d"
    q = "query { site { ...f%d } }\nfragment f0 on Site { title description }\n" % (n - 1)
    for i in range(1, n):
        body = spread % (i - 1, i - 1)
        q += "fragment f%d on Site { %s }\n" % (i, body)
    return q


def fill(prefix, unit, suffix):
    n = (LIMIT - len(prefix) - len(suffix)) // len(unit)
    return prefix + unit * n + suffix


def documents():
    yield "25 doubling fragments (the report)", doubling(25)
    yield "28 doubling fragments", doubling(28)
    yield "400 doubling fragments", doubling(400)
    yield "doubling fragments under aliases", doubling(30, alias=True)
    depth = 60
    yield "inline fragments 60 deep", "{ site { " + "... on Site { " * depth + "title" + " }" * depth + " } }"
    yield "directives on one field", fill("{ site { title ", "@skip(if: false) ", "} }")
    yield "fields with 2 directives", fill("{ site { ", "title @skip(if: false) @include(if: true) ", "} }")
    yield "one field, repeated", fill("{ site { ", "title ", "} }")
    yield "aliased fields", fill("{ site { ", "a: title ", "} }")
    fragment = "fragment F on Site { " + " ".join("t%d: title" % i for i in range(40)) + " }\n"
    yield "a wide fragment spread everywhere", fill("query { site { ", "...F ", "} }\n" + fragment)
    yield "list value 16k deep", fill("{ article(slug: ", "[", ") { id } }")
    yield "object value deep", fill("{ article(slug: ", "{a:", "1) { id } }")
    yield "one variable, repeated", fill("query(", "$a: Int ", ") { site { title } }")
    names = "".join("$v%d: Int " % i for i in range(4000))
    yield "distinct variables", "query(" + names[: LIMIT - 40].rsplit(" $", 1)[0] + ") { site { title } }"
    yield "long string of escapes", fill('{ article(slug: "', "\\u0041", '") { id } }')
    yield "comments", fill("{ site { title } }\n", "#" * 79 + "\n", "")
    yield "many operations", fill("", "query q { site { title } } ", "")
    yield "many unused fragments", fill("{ site { title } } ", "fragment f on Site { title } ", "")
    yield "selections 64 deep", "{ " + "site { " * 64 + "title" + " }" * 64 + " }"
    yield "braces 16k deep", fill("", "{", "")
    yield "articles(first: 100) under aliases", fill("{ ", "a: articles(first: 100) { nodes { id } } ", "}")
    args = "".join("x%d: 1 " % i for i in range(20))
    yield "one name, many arguments, repeated", fill("{ site { title(%s) " % args, "title ", "} }")
    yield "hundreds of unknown fields", fill("{ site { ", "nope ", "} }")


BODY = 1024 * 1024  # the largest body an article takes


def bodies():
    """Bodies whose rendering grows faster than their size, at the 1 MiB a body may be."""
    yield "100k `>` on one line", ">" * 100_000
    yield "nested <div>, 1 MiB", "<div>" * (BODY // 5)
    yield "<template> nesting", "<template>" * (BODY // 10)
    yield "table then <br>s (foster parenting)", "<table>" + "<br>" * ((BODY - 7) // 4)
    yield "one tag, many attributes", "<div" + "".join(" a%d" % i for i in range(100_000))[: BODY - 10] + ">x</div>"
    yield "64 nested divs, repeated", ("<div>" * 64 + "x" + "</div>" * 64 + "\n\n") * (BODY // 720)
    yield "a long ordinary article", ("Some *prose* with `code` and [a link](https://example.com).\n\n```rust\nfn main() {}\n```\n\n" * (BODY // 90))[:BODY]


def cpu_ns(pid):
    total = 0
    for path in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError):
            pass
    return total


def post(base, query, timeout=120):
    body = json.dumps({"query": query}).encode()
    req = urllib.request.Request(base + "/graphql", data=body, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, json.loads(res.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="colophon-hostile.")
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    secret = "hostile-bench-secret-hostile-bench-secret"
    env = dict(os.environ, COLOPHON_RATE_LIMIT_READS="off", COLOPHON_RESPONSE_CACHE="off", RUST_LOG="colophon=warn",
               COLOPHON_JWT_SECRET=secret)
    server = subprocess.Popen(
        [BIN, "serve", "--demo", "--addr", "127.0.0.1:%d" % port, "--database-url", "sqlite://%s/h.db?mode=rwc" % work],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        rows = []
        body_rows = []
        worst = 0.0
        for name, query in documents():
            assert len(query.encode()) <= LIMIT, (name, len(query))
            before = cpu_ns(server.pid)
            started = time.monotonic()
            status, body = post(base, query)
            wall = (time.monotonic() - started) * 1000
            cpu = (cpu_ns(server.pid) - before) / 1e6
            worst = max(worst, cpu)
            errors = body.get("errors") or []
            code = errors[0].get("extensions", {}).get("code", "-") if errors else "ran"
            rows.append((name, len(query.encode()), status, code, cpu, wall))
            print("%-40s %6d B  %3d %-26s cpu %8.2f ms  wall %8.2f ms" % rows[-1], flush=True)

        # Three of the worst kind at once while a prober asks /healthz.
        probe_ms = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            attacks = [pool.submit(post, base, doubling(28)) for _ in range(3)]
            while not all(a.done() for a in attacks):
                t = time.monotonic()
                urllib.request.urlopen(base + "/healthz", timeout=60).read()
                probe_ms.append((time.monotonic() - t) * 1000)
            for _ in range(5):
                t = time.monotonic()
                urllib.request.urlopen(base + "/healthz", timeout=60).read()
                probe_ms.append((time.monotonic() - t) * 1000)
        print("healthz during 3 concurrent attacks: max %.2f ms over %d probes" % (max(probe_ms), len(probe_ms)))

        token = subprocess.run([BIN, "token", "--sub", "hostile-bench", "--role", "editor", "--ttl", "1h"],
                               env=env, capture_output=True, text=True, check=True).stdout.strip()
        for name, body in bodies():
            payload = json.dumps({"title": "Hostile", "body": body}).encode()
            req = urllib.request.Request(base + "/api/v1/articles", data=payload, headers={
                "content-type": "application/json", "authorization": "Bearer " + token})
            before = cpu_ns(server.pid)
            started = time.monotonic()
            try:
                with urllib.request.urlopen(req, timeout=300) as res:
                    status = res.status
            except urllib.error.HTTPError as e:
                status = e.code
            wall = (time.monotonic() - started) * 1000
            cpu = (cpu_ns(server.pid) - before) / 1e6
            body_rows.append((name, len(body.encode()), status, cpu, wall))
            print("%-40s %8d B  %3d  cpu %8.2f ms  wall %8.2f ms" % body_rows[-1], flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
        subprocess.run(["rm", "-rf", work])

    os.makedirs(RESULTS, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    out = os.path.join(RESULTS, "%s-hostile-graphql.md" % stamp)
    with open(out, "w") as f:
        f.write("# Hostile GraphQL documents (%s)\n\n" % stamp)
        f.write("Server CPU time per request (all threads), release build, 2 cores. ")
        f.write("Each document is at most 32 KiB.\n\n")
        f.write("| document | bytes | status | code | server CPU ms | wall ms |\n|---|---:|---:|---|---:|---:|\n")
        for r in rows:
            f.write("| %s | %d | %d | %s | %.2f | %.2f |\n" % r)
        f.write("\nWorst CPU: %.2f ms. `/healthz` while three 28-fragment documents ran at once: " % worst)
        f.write("max %.2f ms over %d probes.\n" % (max(probe_ms), len(probe_ms)))
        f.write("\n## Article bodies (POST /api/v1/articles, up to 1 MiB)\n\n")
        f.write("| body | bytes | status | server CPU ms | wall ms |\n|---|---:|---:|---:|---:|\n")
        for r in body_rows:
            f.write("| %s | %d | %d | %.2f | %.2f |\n" % r)
    print("wrote", os.path.relpath(out, ROOT))
    return 0 if worst <= 50 else 1


if __name__ == "__main__":
    sys.exit(main())
