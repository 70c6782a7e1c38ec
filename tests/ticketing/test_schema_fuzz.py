"""Schemathesis against our own OpenAPI schema: a bounded number of generated requests per
operation, with every check on. In-process under the test settings and under production's
security settings (HTTPS only, behind a TLS proxy), and over HTTP against a site started as
`make run` starts it (zero setup, SQLite, demo data, DEBUG off)."""

import os
import subprocess
import sys

import httpx
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings

from bench.cluster import ROOT, free_port, wait_until
from tests.factories import ShowFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
FUZZ = settings(max_examples=15, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.function_scoped_fixture])


@pytest.fixture
def catalog(transactional_db):
    """Something real to find, so not every generated request ends at a 404."""
    return ShowFactory()


@schema.parametrize()
@FUZZ
def test_the_api_keeps_its_contract(case, catalog):
    case.call_and_validate()


PG_SERVER = "postgres://postgres@127.0.0.1:5432"
FUZZ_DB = "ticketing_fuzz"


def _start_site(env: dict[str, str]):
    """Migrate, load the demo data (as `make run` does), start one uvicorn process."""
    for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo", "--if-empty"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                       capture_output=True, timeout=300)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "ticketing.asgi:application", "--port", str(port),
         "--no-proxy-headers", "--log-level", "warning"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(url), 30, "the site to answer")
    return url, process


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


# What the operator of each mode sets, and nothing else (security settings left to defaults).
_UNSET = ("DEBUG", "SECRET_KEY", "REDIS_URL", "RATE_LIMIT_ENABLED", "HTTPS", "EMAIL_BACKEND",
          "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "SECURE_HSTS_SECONDS", "DATABASE_URL")


@pytest.fixture(scope="module")
def make_run_site(tmp_path_factory):
    """The zero-setup site as `make run` starts it: its environment (no DEBUG, no key given:
    the one kept in var/, plain HTTP), a fresh SQLite database, the demo data, one process."""
    env = {k: v for k, v in os.environ.items() if k not in _UNSET}
    env |= {"HTTPS": "0", "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('site') / 'db.sqlite3'}",
            "LOG_LEVEL": "CRITICAL"}
    url, process = _start_site(env)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def production_site():
    """Production settings: scaled out (PostgreSQL, Redis), DEBUG off and nothing else about
    security said, so HTTPS only, secure cookies and HSTS, behind a TLS-terminating proxy
    (TRUST_X_FORWARDED_PROTO=1; the requests carry X-Forwarded-Proto: https)."""
    for sql in (f"DROP DATABASE IF EXISTS {FUZZ_DB} WITH (FORCE)", f"CREATE DATABASE {FUZZ_DB}"):
        subprocess.run(["psql", f"{PG_SERVER}/postgres", "-qc", sql], check=True)
    env = {k: v for k, v in os.environ.items() if k not in _UNSET}
    env |= {"DEBUG": "0", "SECRET_KEY": "fuzz-" + "k" * 50, "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"{PG_SERVER}/{FUZZ_DB}", "REDIS_URL": "redis://127.0.0.1:6379/13",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "TRUST_X_FORWARDED_PROTO": "1", "LOG_LEVEL": "CRITICAL"}
    url, process = _start_site(env)
    yield url
    process.terminate()
    process.wait(timeout=10)
    subprocess.run(["psql", f"{PG_SERVER}/postgres", "-qc",
                    f"DROP DATABASE IF EXISTS {FUZZ_DB} WITH (FORCE)"], check=False)


OVER_HTTP = settings(max_examples=10, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def fuzz_every_operation(url: str, headers: dict[str, str] | None = None) -> None:
    """Every operation of the site's own schema, each with its generated requests, every check
    on (what ``schema.parametrize`` does, run by hand: its lazy fixture form does not work with
    this pytest)."""
    site_schema = schemathesis.openapi.from_url(f"{url}/api/schema/?format=json",
                                                headers=headers or {})
    failures = []
    for result in site_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @OVER_HTTP
        def check(case) -> None:
            response = case.call_and_validate(headers=headers or {})
            if headers:  # HTTPS behind the proxy: every answer carries HSTS
                assert response.headers.get("strict-transport-security"), case.path

        try:
            check()
        except Exception as exc:  # report every operation that failed, not just the first
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_the_zero_setup_site_keeps_its_contract(make_run_site):
    fuzz_every_operation(make_run_site)


def test_the_site_with_production_settings_keeps_its_contract(production_site):
    fuzz_every_operation(production_site, headers={"X-Forwarded-Proto": "https"})
