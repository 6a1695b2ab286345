"""GET requests answered by a production process (DEBUG unset, config.settings), through Django's test client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.processes import ROOT

CLIENT = """
import json, sys, django
django.setup()
from django.test import Client
answers = {}
for name, (path, headers) in json.loads(sys.argv[1]).items():
    answer = Client(headers={"Host": "shop.example.com", **headers}).get(path)
    answers[name] = [answer.status_code, answer.get("Location"), answer.get("Strict-Transport-Security"),
                     answer.get("Content-Type")]
print(json.dumps(answers))
"""


def answers_in_production(requests: dict[str, tuple[str, dict[str, str]]], **env: str) -> dict[str, list[Any]]:
    """Each request's status, Location, Strict-Transport-Security and Content-Type, by name."""
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS_ONLY", "DJANGO_SETTINGS_MODULE"}}
    production = {"SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "shop.example.com", "LOG_LEVEL": "ERROR"}
    result = subprocess.run(
        [sys.executable, "-c", CLIENT, json.dumps(requests)],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **production, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])
