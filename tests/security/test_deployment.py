"""Production settings pass Django's deployment checklist: HTTPS only, HSTS, secure cookies."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.processes import ROOT

# Requests made in a production process (DEBUG unset) through Django's test client; prints the answers.
REQUESTS = """
import json, django
django.setup()
from django.test import Client
answers = {}
for name, path, headers in [
    ("http", "/admin/", {}),
    ("forwarded https", "/admin/login/", {"X-Forwarded-Proto": "https"}),
    ("healthz", "/healthz", {}),
    ("readyz", "/readyz", {}),
]:
    answer = Client(headers={"Host": "shop.example.com", **headers}).get(path)
    answers[name] = [answer.status_code, answer.get("Location"), answer.get("Strict-Transport-Security")]
print(json.dumps(answers))
"""


def production(**env: str) -> dict[str, list]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS_ONLY", "DJANGO_SETTINGS_MODULE"}}
    production_env = {"SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "shop.example.com", "LOG_LEVEL": "ERROR"}
    result = subprocess.run(
        [sys.executable, "-c", REQUESTS],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **production_env, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_deployment_checklist_passes_with_production_settings():
    result = subprocess.run([ROOT / ".ci" / "deploy-check"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_plain_http_is_redirected_to_https_except_the_load_balancers_probes():
    answers = production()
    assert answers["http"][:2] == [301, "https://shop.example.com/admin/"]
    assert answers["healthz"][0] == 200
    assert answers["readyz"][0] in {200, 503}  # answered, not redirected


def test_behind_trusted_proxies_their_x_forwarded_proto_says_https_and_hsts_follows():
    answers = production(TRUSTED_PROXIES="1")
    assert answers["forwarded https"] == [200, None, "max-age=31536000; includeSubDomains"]
    assert answers["http"][0] == 301


def test_without_trusted_proxies_a_clients_x_forwarded_proto_is_not_believed():
    assert production()["forwarded https"][:2] == [301, "https://shop.example.com/admin/login/"]


def test_development_keeps_plain_http():
    answers = production(DEBUG="1", ALLOWED_HOSTS="shop.example.com,localhost")
    assert answers["http"][0] == 302  # on to the admin login, over http
