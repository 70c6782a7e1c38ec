"""Real-browser tests: Debian's Chromium driven by Playwright, against a live server process
running the zero-setup configuration on the test database."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("No Chromium found for the browser tests. Install Debian's package: "
                    "`apt-get update && apt-get install -y chromium` (or set CHROMIUM_PATH). "
                    "Playwright's own browser downloads are not used.", pytrace=False)
    return path


@pytest.fixture(scope="module")
def browser(django_db_setup, django_db_blocker):
    """One Chromium per module, started after the test database exists and stopped at the
    module's end (Playwright's loop must not outlive the browser tests: others use asyncio).

    Playwright's sync API runs an event loop in this thread for as long as the browser lives,
    which Django's async-safety check mistakes for async code; the tests' own database calls
    are plain sync calls, so the check is lifted while the browser runs.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=chromium_path(),
                                                  args=CHROMIUM_ARGS)
            yield launched
            launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class LiveServer:
    def __init__(self, tmp: Path, **settings: str) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": _database_url(), "DEBUG": "0",
               "SECRET_KEY": "browser-tests", "HTTPS": "0", "LOG_LEVEL": "WARNING",
               "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
               "ALLOWED_HOSTS": "127.0.0.1,localhost", "RATE_LIMIT_ENABLED": "0", **settings}
        env.pop("REDIS_URL", None)  # zero-setup: one process, in-memory layer, own sweeper
        self.log = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "ticketing.asgi:application", "--port",
             str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("the live server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        self.log.close()


@pytest.fixture
def site(tmp_path, request):
    settings = getattr(request, "param", {})
    server = LiveServer(tmp_path, **settings)
    yield server
    server.stop()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def other_desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()

