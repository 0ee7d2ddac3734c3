#!/usr/bin/env python3
"""Colophon's benchmark harness: a benchmark, never a test.

    python3 bench/run.py                      # 1k and 100k articles on SQLite
    python3 bench/run.py --sizes 1000 --duration 5
    python3 bench/run.py --postgres postgres://postgres@127.0.0.1:5432/postgres
    python3 bench/run.py --sizes 1000 --soak 600 --cache   # 10 minutes of mixed load

Builds the release binary and the ceiling server (bench/ceiling.rs), seeds one database
per size with `colophon seed --synthetic N` (kept in bench/work/ and reused), starts the
server, and drives each scenario with wrk at fixed concurrency. Every scenario also runs
against the ceiling: the same response bytes served from memory by a bare axum handler,
in the same run on the same machine, so the figures that matter are ratios. Writes a
Markdown table and JSON to bench/results/.

Needs wrk (Debian: apt-get install wrk).
"""

import argparse
import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "bench", "work")
RESULTS = os.path.join(ROOT, "bench", "results")
SECRET = "bench-secret-bench-secret-bench-secret"
BIN = os.path.join(ROOT, "target", "release", "colophon")
CEILING = os.path.join(ROOT, "target", "release", "examples", "bench-ceiling")

ARTICLE_CARD = "id slug title excerpt readingMinutes publishedAt tags { slug name } category { slug name } series { slug title } seriesPart"
GQL = {
    "home": "{ articles(first: 20) { totalCount pageInfo { hasNextPage endCursor } nodes { %s } } }" % ARTICLE_CARD,
    "article": "query($s: String!) { article(slug: $s) { %s html wordCount updatedAt previousInSeries { slug title } nextInSeries { slug title } related(first: 4) { slug title } } }" % ARTICLE_CARD,
    "tag": "query($s: String!) { tag(slug: $s) { slug name articleCount articles(first: 20) { totalCount nodes { %s } } } }" % ARTICLE_CARD,
    "topics": "{ categories { slug name depth parent { slug } articleCount(includeDescendants: true) articles(first: 5, includeDescendants: true) { nodes { slug title publishedAt } } } }",
    "series": "query($s: String!) { series(slug: $s) { slug title articleCount articles(first: 100) { nodes { slug title seriesPart readingMinutes } } } }",
    "search": "query($q: String!) { search(query: $q, first: 10) { totalCount nodes { snippet score article { slug title publishedAt } } } }",
}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def fetch(url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, headers=headers or {})
    with urllib.request.urlopen(req, timeout=60) as res:
        return res.status, res.headers.get("content-type", ""), res.read()


def wait_ready(url, proc, what):
    for _ in range(600):
        if proc.poll() is not None:
            sys.exit(f"{what} exited with {proc.returncode}")
        try:
            fetch(url)
            return
        except Exception:
            time.sleep(0.1)
    sys.exit(f"{what} did not come up at {url}")


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def parse_duration_ms(s):
    m = re.match(r"([\d.]+)(us|ms|s|m)", s)
    if not m:
        return None
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v if unit == "ms" else v * 1000 if unit == "s" else v * 60000


def wrk(url, lua, args):
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "10s", "--latency", "-s", lua, url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50_ms": parse_duration_ms(lat.get("50", "")),
        "p99_ms": parse_duration_ms(lat.get("99", "")),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def ms(v):
    return "-" if v is None else f"{v:.2f}"


def lua_script(path, method="GET", body=None, headers=None, mixed=None):
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        lines.append("wrk.body = " + json.dumps(body.decode() if isinstance(body, bytes) else body))
    for k, v in (headers or {}).items():
        lines.append(f'wrk.headers["{k}"] = "{v}"')
    if mixed and mixed.get("reads_only"):
        lines.append(
            """
local reads = {%s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", reads[(counter %% #reads) + 1])
end
"""
            % ", ".join(json.dumps(r) for r in mixed["reads"])
        )
    elif mixed:
        # 95% reads (cycling over `reads`), 5% writes (new drafts) with an editor token.
        lines.append(
            """
local reads = {%s}
local counter = 0
request = function()
  counter = counter + 1
  if counter %% 20 == 0 then
    local body = '{"title": "Bench draft ' .. counter .. '-' .. math.random(1, 1000000000) .. '", "body": "Written under load."}'
    return wrk.format("POST", "/api/v1/articles", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %s"}, body)
  end
  return wrk.format("GET", reads[(counter %% #reads) + 1])
end
"""
            % (", ".join(json.dumps(r) for r in mixed["reads"]), mixed["token"])
        )
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def editors_at_work(base, token, seconds, editors=4, autosave=2.0, publish_every=60.0):
    """Editors in the studio beside the readers: each keeps a draft open and autosaves it
    every `autosave` seconds, and publishes once every `publish_every` seconds (staggered),
    then starts a new draft. Runs in threads until `seconds` are up; returns what they did."""
    import threading
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    done = {"saves": 0, "publishes": 0, "errors": 0}
    lock = threading.Lock()

    def call(method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(req, timeout=30) as res:
            return json.loads(res.read() or b"null")

    def editor(i):
        end = time.time() + seconds
        # Staggered, so the publications spread over the minute.
        next_publish = time.time() + publish_every * (i + 1) / editors
        n = 0
        draft = None
        while time.time() < end:
            try:
                if draft is None:
                    draft = call("POST", "/api/v1/articles", {"title": f"Editor {i} at work {time.time_ns()}", "tags": ["Bench"]})["data"]["id"]
                n += 1
                call("PATCH", f"/api/v1/articles/{draft}", {"body": f"Autosave {n}: " + "words " * 200})
                with lock:
                    done["saves"] += 1
                if time.time() >= next_publish:
                    call("POST", f"/api/v1/articles/{draft}/publish")
                    draft = None
                    next_publish += publish_every
                    with lock:
                        done["publishes"] += 1
            except Exception:
                with lock:
                    done["errors"] += 1
            time.sleep(autosave)

    threads = [threading.Thread(target=editor, args=(i,), daemon=True) for i in range(editors)]
    for t in threads:
        t.start()
    return threads, done


def start(cmd, env=None, log=None):
    return subprocess.Popen(cmd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc):
    if proc and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def database_url(size, args):
    if args.postgres:
        base = args.postgres.rsplit("/", 1)[0]
        return f"{base}/colophon_bench_{size}"
    return f"sqlite://{WORK}/bench-{size}.db?mode=rwc"


def seed(size, args):
    url = database_url(size, args)
    if args.postgres:
        name = f"colophon_bench_{size}"
        exists = subprocess.run(["psql", args.postgres, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"], capture_output=True, text=True).stdout.strip()
        if exists and not args.reseed:
            return url, None
        subprocess.run(["psql", "-q", args.postgres, "-c", f"DROP DATABASE IF EXISTS {name}", "-c", f"CREATE DATABASE {name}"], check=True)
    else:
        path = f"{WORK}/bench-{size}.db"
        if os.path.exists(path) and not args.reseed:
            return url, None
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    t = time.time()
    subprocess.run([BIN, "seed", "--synthetic", str(size), "--database-url", url], check=True)
    return url, time.time() - t


def discover(base):
    """Slugs and cursors for the scenarios, read through the API itself."""
    get = lambda path: json.loads(fetch(base + path)[2])
    home = get("/api/v1/articles?limit=20")
    article = next((a for a in home["data"] if a.get("series")), home["data"][0])["slug"]
    tag = get("/api/v1/tags?limit=1&sort=-article_count")["data"][0]["slug"]
    series = get("/api/v1/series?limit=1")["data"][0]["slug"]
    cursor, pages = None, 0
    while pages < 499:
        page = get("/api/v1/articles?limit=20" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else ""))
        cursor = page["meta"]["next_cursor"]
        pages += 1
        if not cursor:
            break
    # Search for a term of the newest article's topic (its title leads with one), beside a
    # word every article has: a query as selective as readers' queries are.
    term = home["data"][0]["title"].split()[1].lower()
    return {"article": article, "tag": tag, "series": series, "deep_cursor": cursor, "deep_page": pages + 1, "search": f"{term} cache"}


def persisted(base, name, variables):
    """GraphQL over GET by automatic persisted query, as a client behind a CDN sends it:
    registers the query once, then returns the short hash-only URL."""
    query = GQL[name]
    ext = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}, separators=(",", ":"))
    params = {"extensions": ext}
    if variables:
        params["variables"] = json.dumps(variables, separators=(",", ":"))
    fetch(base + "/graphql?" + urllib.parse.urlencode({**params, "query": query}))
    return "/graphql?" + urllib.parse.urlencode(params)


def scenarios(found, base):
    q = urllib.parse.quote
    gql = lambda name, variables=None: json.dumps({"query": GQL[name], "variables": variables or {}}).encode()
    get = lambda name, variables=None: persisted(base, name, variables)
    out = [
        ("rest home list", "GET", "/api/v1/articles?limit=20", None),
        ("rest article by slug", "GET", f"/api/v1/articles/{found['article']}", None),
        ("rest tag page", "GET", f"/api/v1/tags/{found['tag']}", None),
        ("rest topic index", "GET", "/api/v1/categories?articles=5&include_descendants=true", None),
        ("rest series page", "GET", f"/api/v1/series/{found['series']}?limit=100", None),
        ("rest search", "GET", f"/api/v1/search?q={q(found['search'])}&limit=10", None),
        # GraphQL as a client behind a CDN sends it: GET with a persisted query's hash.
        ("gql home list", "GET", get("home"), None),
        ("gql article by slug", "GET", get("article", {"s": found["article"]}), None),
        ("gql tag page", "GET", get("tag", {"s": found["tag"]}), None),
        ("gql topic index", "GET", get("topics"), None),
        ("gql series page", "GET", get("series", {"s": found["series"]}), None),
        ("gql search", "GET", get("search", {"q": found["search"]}), None),
        # POST, which no HTTP cache keeps.
        ("gql home list (POST)", "POST", "/graphql", gql("home")),
    ]
    if found["deep_cursor"]:
        out.insert(6, (f"rest deep page ({found['deep_page']})", "GET", f"/api/v1/articles?limit=20&cursor={q(found['deep_cursor'])}", None))
    return out


def run_size(size, args, run_dir):
    url, seeded = seed(size, args)
    port, ceiling_port = free_port(), free_port()
    base, ceiling_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ceiling_port}"
    log = open(os.path.join(run_dir, f"server-{size}.log"), "w")
    # One load generator on 127.0.0.1 is one client: per-client rate limits would measure
    # themselves, not the read path.
    env = {"COLOPHON_JWT_SECRET": SECRET, "COLOPHON_RESPONSE_CACHE": "on" if args.cache else "off", "RUST_LOG": "warn",
           "COLOPHON_RATE_LIMIT_READS": "off", "COLOPHON_RATE_LIMIT_AUTH": "off"}
    server = start([BIN, "serve", "--database-url", url, "--addr", f"127.0.0.1:{port}"], env, log)
    ceiling = None
    try:
        wait_ready(base + "/readyz", server, "colophon")
        found = discover(base)
        bodies = os.path.join(run_dir, f"bodies-{size}")
        os.makedirs(bodies, exist_ok=True)
        plan = []
        for i, (name, method, path, body) in enumerate(scenarios(found, base)):
            headers = {"Content-Type": "application/json"} if body else {}
            status, ctype, data = fetch(base + path, body, headers)
            assert status == 200, f"{name}: {status}"
            key = f"s{i}"
            with open(os.path.join(bodies, key + ".body"), "wb") as f:
                f.write(data)
            with open(os.path.join(bodies, key + ".type"), "w") as f:
                f.write(ctype)
            lua = lua_script(os.path.join(bodies, key + ".lua"), method, body, headers)
            plan.append((name, path, lua, key, len(data)))
        token = subprocess.run([BIN, "token", "--sub", "bench", "--role", "editor", "--ttl", "2h"], env={**os.environ, "COLOPHON_JWT_SECRET": SECRET}, capture_output=True, text=True, check=True).stdout.strip()
        mixed_lua = lua_script(os.path.join(bodies, "mixed.lua"), mixed={"token": token, "reads": ["/api/v1/articles?limit=20"]})
        ceiling = start([CEILING, f"127.0.0.1:{ceiling_port}", bodies], log=subprocess.DEVNULL)
        wait_ready(ceiling_base + "/s/s0", ceiling, "ceiling")
        rows, peak_rss = [], 0
        for name, path, lua, key, size_bytes in plan:
            got = wrk(base + path, lua, args)
            top = wrk(f"{ceiling_base}/s/{key}", lua, args)
            rss = rss_mb(server.pid) or 0
            peak_rss = max(peak_rss, rss)
            rows.append({"scenario": name, "bytes": size_bytes, **got, "ceiling_rps": top["rps"], "ratio": got["rps"] / top["rps"], "rss_mb": rss})
            print(f"  {size:>6} {name:<28} {got['rps']:>9.0f} req/s  p50 {ms(got['p50_ms'])} ms  p99 {ms(got['p99_ms'])} ms  ceiling {top['rps']:>9.0f}  ratio {got['rps'] / top['rps']:.2f}  rss {rss:.0f} MB", flush=True)
        got = wrk(base + "/api/v1/articles?limit=20", mixed_lua, args)
        top = wrk(f"{ceiling_base}/s/s0", plan[0][2], args)
        rss = rss_mb(server.pid) or 0
        peak_rss = max(peak_rss, rss)
        rows.append({"scenario": "mixed 95% read / 5% write", "bytes": plan[0][4], **got, "ceiling_rps": top["rps"], "ratio": got["rps"] / top["rps"], "rss_mb": rss})
        print(f"  {size:>6} {'mixed 95% read / 5% write':<28} {got['rps']:>9.0f} req/s  p50 {ms(got['p50_ms'])} ms  p99 {ms(got['p99_ms'])} ms  errors {got['non_2xx']} {got['socket_errors']}", flush=True)
        if args.cache:
            # Readers on every public GET page while four editors autosave and publish: the
            # response cache must keep serving what their writes did not touch.
            reads = [path for name, path, lua, key, size_bytes in plan if not path.startswith("/graphql") or "?" in path]
            editors_lua = lua_script(os.path.join(bodies, "editors.lua"), mixed={"token": token, "reads": reads, "reads_only": True})
            seconds = max(args.duration, args.editors_duration)
            threads, done = editors_at_work(base, token, seconds)
            got = wrk(base + reads[0], editors_lua, argparse.Namespace(**{**vars(args), "duration": seconds}))
            for t in threads:
                t.join()
            top = wrk(f"{ceiling_base}/s/s0", plan[0][2], args)
            rss = rss_mb(server.pid) or 0
            name = f"editors at work ({done['saves']} saves, {done['publishes']} publishes, {done['errors']} errors)"
            rows.append({"scenario": name, "bytes": plan[0][4], **got, "ceiling_rps": top["rps"], "ratio": got["rps"] / top["rps"], "rss_mb": rss})
            print(f"  {size:>6} {name:<28} {got['rps']:>9.0f} req/s  p50 {ms(got['p50_ms'])} ms  p99 {ms(got['p99_ms'])} ms  ratio {got['rps'] / top['rps']:.2f}", flush=True)
        return {"size": size, "seed_seconds": seeded, "database": url.split(":")[0], "peak_rss_mb": peak_rss, "found": found, "rows": rows}
    finally:
        stop(ceiling)
        stop(server)
        log.close()


def soak(args, run_dir):
    """A long mixed run (95% reads over the benchmark's GET scenarios, 5% writes) against one
    server, sampling its RSS every 10 s: errors must be zero and memory flat."""
    size = int(args.sizes.split(",")[0])
    url, seeded = seed(size, args)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(run_dir, f"server-soak-{size}.log"), "w")
    env = {"COLOPHON_JWT_SECRET": SECRET, "COLOPHON_RESPONSE_CACHE": "on" if args.cache else "off", "RUST_LOG": "warn",
           "COLOPHON_RATE_LIMIT_READS": "off", "COLOPHON_RATE_LIMIT_AUTH": "off"}
    server = start([BIN, "serve", "--database-url", url, "--addr", f"127.0.0.1:{port}"], env, log)
    try:
        wait_ready(base + "/readyz", server, "colophon")
        found = discover(base)
        reads = [path for name, method, path, body in scenarios(found, base) if method == "GET"]
        token = subprocess.run([BIN, "token", "--sub", "soak", "--role", "editor", "--ttl", "2h"], env={**os.environ, "COLOPHON_JWT_SECRET": SECRET}, capture_output=True, text=True, check=True).stdout.strip()
        lua = lua_script(os.path.join(run_dir, "soak.lua"), mixed={"token": token, "reads": reads})
        cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.soak}s", "--timeout", "10s", "--latency", "-s", lua, base + reads[0]]
        load = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        samples, t0 = [], time.time()
        while load.poll() is None:
            time.sleep(10)
            samples.append((round(time.time() - t0), rss_mb(server.pid) or 0))
            print(f"  soak {samples[-1][0]:>4} s  rss {samples[-1][1]:.0f} MB", flush=True)
        out = load.stdout.read()
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        total = int(re.search(r"(\d+) requests in", out).group(1))
        lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        errors = re.search(r"Socket errors: (.*)", out)
        status, _, metrics = fetch(base + "/metrics")
        refused = dict(re.findall(r'colophon_http_refused_total\{reason="(\w+)"\} (\d+)', metrics.decode()))
        server_errors = sum(int(n) for n in re.findall(r'colophon_http_requests_total\{[^}]*status="5\d\d"\} (\d+)', metrics.decode()))
        # Flat memory: the last minute's RSS against the second minute's (after warm-up).
        warm = [r for t, r in samples if 60 < t <= 120] or [r for _, r in samples[:6]]
        last = [r for t, r in samples if t > samples[-1][0] - 60]
        return {
            "size": size, "seconds": args.soak, "database": url.split(":")[0], "cache": "on" if args.cache else "off",
            "requests": total, "rps": rps, "p50_ms": parse_duration_ms(lat.get("50", "")), "p99_ms": parse_duration_ms(lat.get("99", "")),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors.group(1).strip() if errors else "",
            "server_5xx": server_errors, "refused": refused, "reads": reads,
            "rss_samples": samples, "rss_warm_mb": max(warm), "rss_last_mb": max(last),
        }
    finally:
        stop(server)
        log.close()


def soak_markdown(report):
    r = report["soak"]
    growth = r["rss_last_mb"] / r["rss_warm_mb"] if r["rss_warm_mb"] else 0
    lines = [f"# Soak {report['started']}", "",
             f"Machine: {report['machine']}. wrk {report['wrk']}: {report['threads']} threads, {report['connections']} connections for {r['seconds']} s: "
             f"95% reads cycling over the benchmark's GET scenarios, 5% writes (new drafts). {r['size']} articles to start; database {r['database']}; response cache {r['cache']}.", "",
             "| requests | req/s | p50 ms | p99 ms | non-2xx | socket errors | server 5xx | refused | RSS minute 2 | RSS last minute | growth |",
             "|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---:|",
             f"| {r['requests']} | {r['rps']:.0f} | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | {r['non_2xx']} | {r['socket_errors'] or 'none'} | {r['server_5xx']} | "
             f"{', '.join(f'{k} {v}' for k, v in r['refused'].items())} | {r['rss_warm_mb']:.0f} MB | {r['rss_last_mb']:.0f} MB | {growth:.2f}× |", "",
             "RSS every 10 s (MB): " + ", ".join(f"{rss:.0f}" for _, rss in r["rss_samples"]), ""]
    return "\n".join(lines)


def markdown(report):
    lines = [f"# Benchmark {report['started']}", "", f"Machine: {report['machine']}. wrk {report['wrk']}: {report['threads']} threads, {report['connections']} connections, {report['duration']} s per scenario. Response cache: {report['cache']}. Database: {report['database']}.", ""]
    for run in report["runs"]:
        seeded = f", seeded in {run['seed_seconds']:.0f} s" if run["seed_seconds"] else ""
        lines += [f"## {run['size']} articles{seeded}; peak server RSS {run['peak_rss_mb']:.0f} MB", "", "| scenario | bytes | req/s | p50 ms | p99 ms | ceiling req/s | ratio | non-2xx |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for r in run["rows"]:
            if not r["rps"]:
                r = {**r, "p50_ms": None, "p99_ms": None}  # nothing finished within wrk's timeout
            lines.append(f"| {r['scenario']} | {r['bytes']} | {r['rps']:.0f} | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | {r['ceiling_rps']:.0f} | {r['ratio']:.2f} | {r['non_2xx']} |")
        lines.append("")
    if len(report["runs"]) >= 2:
        small, large = report["runs"][0], report["runs"][-1]
        lines += [f"## {large['size']} vs {small['size']} articles (p50 latency and throughput)", "", "| scenario | p50 ratio | req/s ratio |", "|---|---:|---:|"]
        name = lambda r: re.sub(r" \(\d+\)$", "", r["scenario"])
        larger = {name(r): r for r in large["rows"]}
        for a in small["rows"]:
            b = larger.get(name(a))
            if not b:
                continue
            p50 = f"{b['p50_ms'] / a['p50_ms']:.2f}" if a["p50_ms"] and b["p50_ms"] else "-"
            rps = f"{a['rps'] / b['rps']:.2f}" if b["rps"] else "-"
            lines.append(f"| {name(a)} | {p50} | {rps} |")
        lines.append("")
    return "\n".join(lines)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--markdown":
        # Rewrite the Markdown table of a JSON result: python3 bench/run.py --markdown FILE.json
        report = json.load(open(sys.argv[2]))
        with open(sys.argv[2][: -len(".json")] + ".md", "w") as f:
            f.write(markdown(report))
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1000,100000")
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--postgres", help="an admin URL; databases colophon_bench_N are made on that server")
    p.add_argument("--reseed", action="store_true", help="seed again even if bench/work has the database")
    p.add_argument("--cache", action="store_true", help="with the in-process response cache on")
    p.add_argument("--skip-build", action="store_true")
    p.add_argument("--editors-duration", type=int, default=60, help="seconds of the 'editors at work' scenario (with --cache)")
    p.add_argument("--soak", type=int, metavar="SECONDS", help="instead of the scenarios: one long mixed run on the first size, sampling RSS")
    args = p.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    if not args.skip_build:
        subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "colophon", "--example", "bench-ceiling"], cwd=ROOT, check=True)
    os.makedirs(WORK, exist_ok=True)
    os.makedirs(RESULTS, exist_ok=True)
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    run_dir = os.path.join(WORK, started)
    os.makedirs(run_dir)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    report = {
        "started": started,
        "machine": f"{os.cpu_count()} cores, {cpu}",
        "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip() or "wrk",
        "threads": args.threads, "connections": args.connections, "duration": args.duration,
        "cache": "on" if args.cache else "off", "database": "postgres" if args.postgres else "sqlite",
        "runs": [],
    }
    if args.soak:
        print(f"== soak: {args.soak} s", flush=True)
        report["soak"] = soak(args, run_dir)
        name = f"{started}-soak-{report['database']}{'-cache' if args.cache else ''}"
        with open(os.path.join(RESULTS, name + ".json"), "w") as f:
            json.dump(report, f, indent=2)
        with open(os.path.join(RESULTS, name + ".md"), "w") as f:
            f.write(soak_markdown(report))
        print(soak_markdown(report))
        return
    for size in [int(s) for s in args.sizes.split(",")]:
        print(f"== {size} articles", flush=True)
        report["runs"].append(run_size(size, args, run_dir))
    name = f"{started}-{report['database']}{'-cache' if args.cache else ''}"
    with open(os.path.join(RESULTS, name + ".json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(RESULTS, name + ".md"), "w") as f:
        f.write(markdown(report))
    print(f"results: bench/results/{name}.md and .json")


if __name__ == "__main__":
    main()
