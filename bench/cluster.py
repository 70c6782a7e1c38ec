"""Real processes in production mode: web processes, a Celery worker and beat, on a database
and a Redis database of the caller's choosing. Used by the production-mode fault tests and by
``make bench``."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(db: dict) -> str:
    """The DATABASE_URL of a Django database settings dict, for processes started beside it."""
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def redis_up() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


def start_redis() -> None:
    os.makedirs("/var/lib/redis", exist_ok=True)
    os.makedirs("/var/log/redis", exist_ok=True)
    subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1",
                    "--port", "6379", "--save", "", "--appendonly", "no",
                    "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log"],
                   check=True)
    wait_until(redis_up, 20, "Redis to start")


def wait_until(condition, seconds: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


class Cluster:
    def __init__(self, tmp: Path, *, database_url: str, redis_url: str | None = REDIS_URL,
                 **settings: str) -> None:
        self.tmp = tmp
        self.env = {
            **os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url or "",
            "SECRET_KEY": "cluster-test-secret", "DEBUG": "0", "HTTPS": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "DB_POOL_MAX_SIZE": "8", "LOG_LEVEL": "WARNING", "RATE_LIMIT_ENABLED": "0",
            **settings,
        }
        if redis_url:  # scaled out: this cluster is one host, adding its metrics up here
            self.env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp / "metrics")
        self.processes: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, env=self.env,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def web(self, name: str, workers: int = 1) -> str:
        port = self.ports.get(name) or free_port()
        self.ports[name] = port
        self._spawn(name, ["uvicorn", "ticketing.asgi:application", "--port", str(port),
                           "--log-level", "warning", "--no-proxy-headers",
                           "--workers", str(workers)])
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(url), 30, f"{name} to serve")
        return url

    def minimal_hold(self, name: str = "minimal", workers: int = 1) -> str:
        """The bare hold endpoint (``bench.minimal_hold``): S1's floor."""
        port = self.ports.get(name) or free_port()
        self.ports[name] = port
        self._spawn(name, ["uvicorn", "bench.minimal_hold:application", "--port", str(port),
                           "--log-level", "warning", "--workers", str(workers)])
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(url), 30, f"{name} to serve")
        return url

    def worker(self, name: str = "worker") -> None:
        self._spawn(name, ["celery", "-A", "ticketing", "worker", "--loglevel", "WARNING",
                           "--concurrency", "2", "--without-gossip", "--without-mingle",
                           "-n", f"{name}@%h"])

    def beat(self, name: str = "beat") -> None:
        self._spawn(name, ["celery", "-A", "ticketing", "beat", "--loglevel", "WARNING",
                           "--schedule", str(self.tmp / f"{name}-schedule")])

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.processes.pop(name)
        os.killpg(process.pid, sig)
        process.wait(timeout=20)

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in self.tmp.glob("*.log"))


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
