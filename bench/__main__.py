"""``make bench``: start the servers, run every scenario from a separate load process, check the
invariants, write ``bench/results.json`` and the table in ``docs/performance.md``.

    python -m bench [--quick] [--modes production,zero-setup]
                    [--scenarios s1,s2,s2one,s3,s4,s5,s6]

Production mode: uvicorn with WEB_WORKERS workers, a Celery worker and beat, on a PostgreSQL
database of its own (``ticketing_bench``, made afresh) and Redis database 8. Zero-setup mode:
one uvicorn process on a fresh SQLite file, in-memory channel layer and in-process sweeper.
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import redis

from bench.cluster import ROOT, Cluster, redis_up, start_redis
from bench.report import render_table, write_docs

PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_URL = f"{PG_SERVER}/ticketing_bench"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
SQLITE_PATH = ROOT / "var" / "bench.sqlite3"
RESULTS = ROOT / "bench" / "results.json"
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))

FULL = {
    "s1": {"rates": [25, 50, 75, 100, 150, 200, 300, 400, 600, 800, 1000, 1500, 2000],
           "seconds": 5},
    "s2": {"clients": 2000},
    "s2one": {"clients": 2000},  # the same herd on one web process: fairness by construction
    "s3": {"parties": 300},
    "s4": {"target": 10000},
    "s5": {"api_rates": [50, 100, 200, 300, 400, 600, 800, 1000, 1500, 2000, 2500, 3000],
           "page_rates": [25, 50, 100, 200, 300, 400, 600, 800], "seconds": 5},
    "s6": {"visitors": 10_000, "join_seconds": 50, "admit_per_minute": 600,
           "watch_seconds": 20},
}
QUICK = {
    "s1": {"rates": [20, 40], "seconds": 1},
    "s2": {"clients": 100},
    "s2one": {"clients": 100},
    "s3": {"parties": 10},
    "s4": {"target": 100},
    "s5": {"api_rates": [20], "page_rates": [10], "seconds": 1},
    "s6": {"visitors": 100, "join_seconds": 2, "admit_per_minute": 600, "watch_seconds": 3},
}
SETTINGS = {"RATE_LIMIT_ENABLED": "0", "LOG_LEVEL": "WARNING", "DB_POOL_MAX_SIZE": "20"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness")
    parser.add_argument("--modes", default="production,zero-setup")
    parser.add_argument("--scenarios", default="s1,s2,s2one,s3,s4,s5,s6")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "performance.md",
                        help="the page whose table is rewritten ('-' for none)")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    scenarios = [s for s in args.scenarios.split(",") if s]
    if bad := [m for m in modes if m not in ("production", "zero-setup")]:
        parser.error(f"unknown mode(s): {', '.join(bad)}")
    if bad := [s for s in scenarios if s not in FULL]:
        parser.error(f"unknown scenario(s): {', '.join(bad)}")
    sizes = QUICK if args.quick else FULL

    results = {"meta": machine(), "quick": args.quick, "modes": {}}
    for mode in modes:
        say(f"== {mode}")
        results["modes"][mode] = run_mode(mode, scenarios, sizes)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    say(f"wrote {args.output}")
    print(render_table(results))
    if str(args.docs) != "-":
        write_docs(args.docs, results)
        say(f"updated {args.docs}")
    return 0


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run_mode(mode: str, scenarios: list[str], sizes: dict) -> dict:
    production = mode == "production"
    if production:
        if not redis_up():
            start_redis()
        redis.Redis.from_url(REDIS_URL).flushdb()
        database_url = fresh_postgres()
    else:
        database_url = fresh_sqlite()
    migrate(database_url)
    out: dict = {"settings": {**SETTINGS, "web_workers": WEB_WORKERS if production else 1,
                              "database": "PostgreSQL" if production else "SQLite",
                              "redis": production, "celery": production}}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        cluster = Cluster(Path(tmp), database_url=database_url,
                          redis_url=REDIS_URL if production else None, **SETTINGS)
        try:
            url = cluster.web("web", workers=WEB_WORKERS if production else 1)
            if production:
                cluster.worker()
                cluster.beat()
            for scenario in scenarios:
                options = dict(sizes[scenario])
                target_url = url
                own = None  # a web process started for this scenario alone
                if scenario in ("s4", "s6"):
                    # A fresh web process of its own, so its memory is the sockets' alone. In
                    # zero-setup mode the change must come through that same process (its
                    # channel layer is in memory).
                    # S6's sockets likewise (they are told of the opening by beat in production,
                    # by that process's own job in zero-setup mode).
                    own = name = f"ws-{scenario}"
                    target_url = cluster.web(name)
                    options |= {"http_url": url if production else target_url,
                                "server_pid": cluster.processes[name].pid}
                if scenario == "s1":
                    options["server_pid"] = cluster.processes["web"].pid
                if scenario == "s2one":
                    if not production:
                        continue  # zero-setup mode is one process already: that is s2
                    own = "web-one"
                    target_url = cluster.web(own, workers=1)
                say(f"-- {scenario} {json.dumps(options)}")
                started = time.monotonic()
                out[scenario] = load(scenario, target_url, options, cluster.env)
                out[scenario]["wall_seconds"] = round(time.monotonic() - started, 1)
                if own is not None:
                    # Gone before the next scenario: its sockets, memory and database
                    # connections are not the next one's to share.
                    cluster.kill(own)
                say(json.dumps(out[scenario])[:600])
                if scenario == "s1" and production:
                    out["pgbench"] = pgbench(database_url, out[scenario])
                    say(json.dumps(out["pgbench"]))
                    # The same load on the least an endpoint can do: our hold SQL, no more.
                    minimal = cluster.minimal_hold(workers=WEB_WORKERS)
                    out["s1_minimal"] = load(
                        "s1", minimal, options | {"server_pid": cluster.processes["minimal"].pid},
                        cluster.env)
                    cluster.kill("minimal", signal.SIGTERM)
                    say(json.dumps(out["s1_minimal"])[:600])
        except Exception:
            say(cluster.logs())
            raise
        finally:
            cluster.stop()
    return out


def load(scenario: str, url: str, options: dict, env: dict) -> dict:
    process = subprocess.run(
        [sys.executable, "-m", "bench.load", scenario, "--url", url, "--options",
         json.dumps(options)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if process.returncode != 0:
        raise RuntimeError(f"the load process for {scenario} failed:\n{process.stderr[-4000:]}")
    return json.loads(process.stdout.strip().splitlines()[-1])


def fresh_postgres() -> str:
    for sql in ("DROP DATABASE IF EXISTS ticketing_bench WITH (FORCE)",
                "CREATE DATABASE ticketing_bench"):
        subprocess.run(["psql", f"{PG_SERVER}/postgres", "-qc", sql], check=True)
    return PG_URL


def fresh_sqlite() -> str:
    SQLITE_PATH.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{SQLITE_PATH}"


def migrate(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": "", "DEBUG": "0"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                   env=env, check=True)


def pgbench(database_url: str, s1: dict, clients: int = 16, seconds: int = 10) -> dict:
    """PostgreSQL's own rate for the hold transaction, on the same database, same machine."""
    if shutil.which("pgbench") is None:
        return {"error": "pgbench is not installed (Debian: postgresql-contrib / postgresql)"}
    show_id = s1["first_show_id"]
    output = subprocess.run(["bash", str(ROOT / "bench" / "pgbench_hold.sh"), database_url,
                             str(show_id), str(clients), str(seconds)],
                            capture_output=True, text=True, check=True).stdout
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", output).group(1))
    best = s1["best_rate_p99_under_target"]
    return {"clients": clients, "seconds": seconds, "tps": round(tps, 1),
            "latency_average_ms": latency, "s1_best_rate_fraction": round(best / tps, 4)}


def machine() -> dict:
    def version(command: list[str]) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True,
                                  timeout=10).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "not found"

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    from importlib.metadata import version as package

    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory / 2**20, 1),
        "kernel": platform.release(), "python": platform.python_version(),
        "packages": {name: package(name) for name in
                     ("django", "uvicorn", "channels", "channels-redis", "celery", "psycopg",
                      "aiohttp")},
        "postgresql": version(["psql", PG_SERVER + "/postgres", "-Atc", "SHOW server_version"]),
        "redis": version(["redis-server", "--version"]),
        "git": version(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
    }


if __name__ == "__main__":
    sys.exit(main())
