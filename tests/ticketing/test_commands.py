"""The operator's view: real processes, exit statuses and what they print."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("db") / "ops.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DEBUG": "1"}
    env.pop("REDIS_URL", None)
    assert manage("migrate", "--noinput", env=env).returncode == 0
    return env


def write(tmp_path, document) -> str:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document))
    return str(path)


GOOD = {
    "cities": [{"slug": "springfield", "name": "Springfield"}],
    "movies": [{"slug": "m", "title": "M", "duration_minutes": 90}],
    "cinemas": [{"slug": "plaza", "city": "springfield", "name": "Plaza",
                 "timezone": "America/Chicago",
                 "halls": [{"name": "Screen 1", "layout": ["A: ss_ss", "B: aq"]}]}],
    "shows": [],
}


def test_bad_catalog_exits_non_zero_with_one_line_and_no_traceback(env, tmp_path):
    result = manage("load_catalog", write(tmp_path, GOOD), env=env)
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "CommandError: cinemas[0].halls[0].layout[1]: unknown seat code 'q'")
    assert "Traceback" not in result.stdout + result.stderr


def test_good_catalog_loads_then_is_idempotent(env, tmp_path):
    good = json.loads(json.dumps(GOOD))
    good["cinemas"][0]["halls"][0]["layout"] = ["A: ss_ss", "B: aa"]
    first = manage("load_catalog", write(tmp_path, good), env=env)
    assert first.returncode == 0, first.stderr
    assert "halls: 1 created" in first.stdout
    second = manage("load_catalog", write(tmp_path, good), env=env)
    assert "cities: 0 created, 0 updated, 1 unchanged" in second.stdout


def test_missing_file_and_bad_arguments(env, tmp_path):
    result = manage("load_catalog", str(tmp_path / "nope.json"), env=env)
    assert result.returncode != 0 and "cannot read" in result.stderr
    assert "Traceback" not in result.stderr
    result = manage("seed_demo", "--days", "0", env=env)
    assert result.returncode != 0 and "Traceback" not in result.stderr


@pytest.mark.parametrize(("name", "value", "message"), [
    ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
    ("HOLD_TTL_SECONDS", "five", "HOLD_TTL_SECONDS='five' is not an integer"),
    ("HOLD_TTL_SECONDS", "0", "HOLD_TTL_SECONDS=0 must be at least 1"),
    ("DATABASE_URL", "mysql://x/y", "DATABASE_URL must be sqlite or postgresql"),
])
def test_bad_settings_fail_loudly_at_start(env, name, value, message):
    result = manage("check", env={**env, name: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_secret_key_is_required_without_debug_when_scaled_out(env):
    bad = {**env, "DEBUG": "0", "REDIS_URL": "redis://127.0.0.1:6379/15",
           "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend"}
    bad.pop("SECRET_KEY", None)
    result = manage("check", "--deploy", env=bad)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    # The web process and the Celery worker and beat refuse to start without it...
    for start in ("import ticketing.asgi",
                  "from ticketing.celery import app; from celery import signals; "
                  "signals.worker_init.send(sender=None)"):
        served = subprocess.run([sys.executable, "-c", start], cwd=ROOT, env=bad,
                                capture_output=True, text=True, timeout=60)
        assert served.returncode != 0 and "SECRET_KEY must be set" in served.stderr, start
    # ...while tools that only read the models still work.
    assert manage("makemigrations", "--check", "--dry-run", env=bad).returncode == 0


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import ticketing.asgi"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_zero_setup_keeps_a_secret_key_it_made_once(tmp_path):
    from ticketing.env import kept_secret_key

    path = tmp_path / "var" / "secret_key"
    key = kept_secret_key(path)
    assert len(key) >= 50 and kept_secret_key(path) == key  # made once, then kept
    assert path.stat().st_mode & 0o777 == 0o600
    other = kept_secret_key(tmp_path / "elsewhere")
    assert other != key


def test_without_debug_the_console_email_backend_must_be_chosen(env):
    quiet = {**env, "DEBUG": "0", "SECRET_KEY": "k" * 50}
    quiet.pop("EMAIL_BACKEND", None)
    refused = _serve(quiet)
    assert refused.returncode != 0 and "EMAIL_BACKEND is not set" in refused.stderr
    chosen = _serve({**quiet, "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"})
    assert chosen.returncode == 0, chosen.stderr
    assert _serve({**quiet, "DEBUG": "1"}).returncode == 0  # developing: the console is fine


def test_processes_starting_together_agree_on_the_kept_key(tmp_path):
    script = ("import sys; from pathlib import Path; from ticketing.env import kept_secret_key; "
              "print(kept_secret_key(Path(sys.argv[1])))")
    path = tmp_path / "var" / "secret_key"
    starting = [subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(8)]
    keys = {process.communicate(timeout=60)[0].strip() for process in starting}
    assert len(keys) == 1 and len(keys.pop()) >= 50
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no drafts left
