"""A process on the production settings (DEBUG unset, config.settings): code run in it, and GET requests
it answers through Django's test client."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

from cryptography.fernet import Fernet

from tests.processes import run_django

FIELD_KEY = Fernet.generate_key().decode()
CLIENT = """
import json
from django.test import Client
answers = {}
for name, (path, headers) in json.loads(%s).items():
    answer = Client(headers={"Host": "shop.example.com", **headers}).get(path)
    answers[name] = [answer.status_code, answer.get("Location"), answer.get("Strict-Transport-Security"),
                     answer.get("Content-Type")]
print(json.dumps(answers))
"""


def production(code: str = "", **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` after ``django.setup()`` in a process on the project's settings with DEBUG off:
    nothing comes from this process's environment but PATH and HOME, the rest from ``env``."""
    outside = {name: value for name, value in os.environ.items() if name in {"PATH", "HOME", "PYENV_VERSION"}}
    given = {"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "s" * 50, "LOG_LEVEL": "ERROR", **env}
    return run_django(code, {**outside, **given})


def answers_in_production(requests: dict[str, tuple[str, dict[str, str]]], **env: str) -> dict[str, list[Any]]:
    """Each request's status, Location, Strict-Transport-Security and Content-Type, by name."""
    given = {"ALLOWED_HOSTS": "shop.example.com", "EVENTBUS_FIELD_KEYS": FIELD_KEY, **env}
    result = production(CLIENT % json.dumps(json.dumps(requests)), **given)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])
