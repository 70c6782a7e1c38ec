"""Health, readiness, metrics, request ids, clean logs, and answers when things are down."""

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import OperationalError

from booking.emails import email_booking_confirmation
from tests.booking_helpers import checkout_body, seat_ids
from tests.factories import ShowFactory
from ticketing.tasks import enqueue

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == "ok"


def test_readyz_is_503_when_the_database_is_down(client):
    with mock.patch("ticketing.health.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/readyz")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json()["database"] == "unavailable"


def test_readyz_checks_redis_when_configured(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["redis"] == "unavailable"


@pytest.mark.parametrize("url", ["/", "/api/v1/cities"])
def test_database_outage_is_503_with_retry_after_never_a_traceback(client, url):
    with mock.patch("catalog.queries.City.objects.annotate",
                    side_effect=OperationalError("connection refused")):
        response = client.get(url)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    body = response.content.decode()
    assert "Traceback" not in body and "connection refused" not in body
    if url.startswith("/api/"):
        assert response.json()["code"] == "unavailable"


def test_every_response_carries_a_request_id(client):
    assert len(client.get("/healthz")["X-Request-ID"]) == 32
    given = client.get("/healthz", headers={"X-Request-ID": "lb-1234"})
    assert given["X-Request-ID"] == "lb-1234"
    odd = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert odd["X-Request-ID"] != "<script>"


def _sample(text: str, name: str) -> float:
    match = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match[1]) if match else 0.0


def test_metrics_count_requests_and_the_domain(api, client):
    show = ShowFactory()
    before = client.get("/metrics").content.decode()
    api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")})
    api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")})  # conflict
    text = client.get("/metrics").content.decode()
    assert "# TYPE http_requests_total counter" in text
    assert 'route="api/v1/shows/<int:show_id>/holds",status="409"' in text
    name = "ticketing_hold_conflicts_total"
    assert _sample(text, name) - _sample(before, name) == 1
    assert "# TYPE http_request_duration_seconds histogram" in text
    assert "# TYPE ticketing_offer_delay_seconds histogram" in text
    assert "ticketing_waitlist_offers_total" in text


def test_logs_never_contain_tokens_cards_or_personal_data(api, caplog):
    caplog.set_level(logging.DEBUG)
    show = ShowFactory()
    hold = api.post(f"/api/v1/shows/{show.id}/holds", {"seats": seat_ids(show, "A1")}).json()
    body = api.post(f"/api/v1/holds/{hold['id']}/checkout", checkout_body(),
                    token=hold["token"]).json()
    api.post(f"/api/v1/holds/{hold['id']}/checkout", {"customer": "x"}, token=hold["token"])
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    for secret in (hold["token"], body["token"], "4242424242424242", "4242 4242 4242 4242",
                   "ada@example.com", "Ada Lovelace"):
        assert secret not in logged


def test_a_dead_broker_runs_the_task_inline_instead(mailoutbox):
    show = ShowFactory()
    from tests.helpers import book
    booking = book(show, ["A1"])
    with mock.patch.object(email_booking_confirmation, "delay", side_effect=OSError("down")):
        enqueue(email_booking_confirmation, booking.pk)
    assert len(mailoutbox) == 1


SECURITY_SETTINGS = ("HTTPS", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "SECURE_HSTS_SECONDS",
                     "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "DEBUG",
                     "TRUST_X_FORWARDED_PROTO")


def _production_env(tmp_path, **extra: str) -> dict[str, str]:
    """Only what the issue of a real deployment needs: DEBUG off, a key, the host."""
    env = {k: v for k, v in os.environ.items() if k not in SECURITY_SETTINGS}
    return {**env, "DEBUG": "0", "SECRET_KEY": "x" * 20 + "a-long-random-production-key-42",
            "ALLOWED_HOSTS": "tickets.example.com",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}", **extra}


def test_check_deploy_is_clean_with_only_debug_off_a_key_and_the_host(tmp_path):
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy",
                             "--fail-level", "WARNING"], cwd=ROOT, env=_production_env(tmp_path),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def _settings_in(env: dict[str, str]) -> dict:
    script = ("import django, json; django.setup(); from django.conf import settings as s; "
              "print(json.dumps({n: getattr(s, n) for n in ('SECURE_SSL_REDIRECT', "
              "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
              "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'DEBUG')}))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, timeout=60,
                            env={**env, "DJANGO_SETTINGS_MODULE": "ticketing.settings"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_debug_the_site_is_https_only_unless_told_otherwise(tmp_path):
    secure = _settings_in(_production_env(tmp_path))
    assert secure == {"SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True,
                      "CSRF_COOKIE_SECURE": True, "SECURE_HSTS_SECONDS": 31_536_000,
                      "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_HSTS_PRELOAD": True,
                      "DEBUG": False}
    plain = _settings_in(_production_env(tmp_path, HTTPS="0"))
    assert not any(plain[name] for name in plain)  # everything off, HSTS 0 seconds
    debugging = _settings_in({**_production_env(tmp_path), "DEBUG": "1"})
    assert debugging["DEBUG"] and not debugging["SECURE_SSL_REDIRECT"]


def test_https_only_redirects_pages_but_not_the_probes(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    page = client.get("/")
    assert page.status_code == 301 and page["Location"].startswith("https://")
    for probe in ("/healthz", "/readyz", "/metrics"):
        assert client.get(probe).status_code == 200, probe
    assert client.get("/", secure=True).status_code == 200


def test_the_request_id_travels_into_celery_tasks():
    from types import SimpleNamespace

    from ticketing.context import request_id
    from ticketing.tasks import _carry_request_id, _forget_request_id, _restore_request_id

    token = request_id.set("req-42")
    headers: dict = {}
    _carry_request_id(headers=headers)  # the web process publishes the task
    request_id.reset(token)
    assert headers["request_id"] == "req-42"
    task = SimpleNamespace(request=SimpleNamespace(request_id=headers["request_id"]))
    _restore_request_id(task_id="t1", task=task)  # the worker runs it
    assert request_id.get() == "req-42"
    _forget_request_id(task_id="t1")
    assert request_id.get() == "-"


def test_json_logs_carry_the_request_id(client, capsys):
    import logging.config

    from django.conf import settings as django_settings

    config = {**django_settings.LOGGING}
    config["handlers"] = {"console": {**config["handlers"]["console"], "formatter": "json",
                                      "stream": "ext://sys.stdout"}}
    logging.config.dictConfig(config)
    try:
        with mock.patch("catalog.queries.City.objects.annotate",
                        side_effect=OperationalError("down")):
            client.get("/", headers={"X-Request-ID": "trace-me"})
        line = next(line for line in capsys.readouterr().out.splitlines()
                    if "database unavailable" in line)
        record = json.loads(line)
        assert record["request_id"] == "trace-me" and record["level"] == "WARNING"
    finally:
        logging.config.dictConfig(django_settings.LOGGING)


def test_metrics_are_served_only_to_allowed_addresses_or_with_the_token(client, settings):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    # Relayed by a proxy on this host that is not in TRUSTED_PROXIES: not local after all.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics").status_code == 403
    settings.METRICS_TOKEN = "scrape-secret-for-tests"
    refused = client.get("/metrics", REMOTE_ADDR="203.0.113.9",
                         headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 403 and "Bearer" in refused["WWW-Authenticate"]
    scraped = client.get("/metrics", REMOTE_ADDR="203.0.113.9",
                         headers={"Authorization": "Bearer scrape-secret-for-tests"})
    assert scraped.status_code == 200 and "http_requests_total" in scraped.content.decode()


def test_reset_metrics_empties_the_hosts_metrics_directory(tmp_path, monkeypatch):
    shared = tmp_path / "metrics"
    shared.mkdir()
    for name in ("counter_101.db", "histogram_101.db"):
        (shared / name).write_bytes(b"\0" * 8)
    (shared / "keep.txt").write_text("not ours")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(shared))
    out = io.StringIO()
    call_command("reset_metrics", stdout=out)
    assert f"Emptied {shared} (2 files)" in out.getvalue()
    assert [p.name for p in shared.iterdir()] == ["keep.txt"]
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    call_command("reset_metrics", stdout=out)
    assert "metrics live in the one process" in out.getvalue()
