"""Start-up configuration: a production process refuses missing or malformed settings by name."""

import os
import subprocess
import sys

import pytest

from tests.processes import ROOT, run_django


def start_django(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}}
    return run_django("print('started')", {**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env})


def test_production_without_a_secret_key_fails_naming_it():
    result = start_django()
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DATABASE_URL", "nosuchscheme://x"), ("EVENTBUS_BATCH_SIZE", "many"), ("DEBUG", "perhaps")],
)
def test_a_malformed_setting_fails_naming_it(variable, value):
    result = start_django(SECRET_KEY="s", **{variable: value})
    assert result.returncode != 0
    assert variable in result.stderr


def test_development_mode_starts_without_a_secret_key():
    result = start_django(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def manage_py(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_manage_py_on_the_embedded_default_runs_in_development_mode_in_a_fresh_terminal():
    result = manage_py("check")
    assert result.returncode == 0, result.stderr


def test_manage_py_against_a_named_database_still_needs_a_secret_key_and_says_so_in_one_line():
    result = manage_py("check", DATABASE_URL="sqlite:////tmp/never-opened.sqlite3")
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("manage.py: Set the SECRET_KEY environment variable")
    assert "docs/configuration.md" in line
    assert "Traceback" not in result.stdout


def test_a_malformed_setting_stops_manage_py_with_one_line_naming_it():
    result = manage_py("seed_demo", DEBUG="perhaps")
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line == (
        "manage.py: DEBUG is malformed: expected true/false, 1/0, yes/no or on/off, got 'perhaps'"
        " (docs/configuration.md)"
    )


def test_the_wsgi_application_without_a_secret_key_stops_the_server_with_one_line():
    clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME"}}
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"],
        cwd=ROOT,
        env={**clean, "DATABASE_URL": "sqlite:////tmp/never-opened.sqlite3"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3  # gunicorn's "worker failed to boot": it stops rather than restarting the worker
    [line] = result.stderr.splitlines()
    assert line.startswith("config.wsgi: Set the SECRET_KEY environment variable")


def test_development_mode_on_a_public_host_name_needs_a_secret_key_of_its_own():
    result = start_django(DEBUG="1", ALLOWED_HOSTS="shop.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert start_django(DEBUG="1", ALLOWED_HOSTS="shop.example.com", SECRET_KEY="s").returncode == 0
