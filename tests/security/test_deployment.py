"""Production settings pass Django's deployment checklist: HTTPS only, HSTS, secure cookies."""

from __future__ import annotations

import subprocess

from tests.processes import ROOT
from tests.security.production import answers_in_production


def production(**env: str) -> dict[str, list]:
    return answers_in_production(
        {
            "http": ("/admin/", {}),
            "forwarded https": ("/admin/login/", {"X-Forwarded-Proto": "https"}),
            "healthz": ("/healthz", {}),
            "readyz": ("/readyz", {}),
        },
        **env,
    )


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
    assert answers["forwarded https"][:3] == [200, None, "max-age=31536000; includeSubDomains"]
    assert answers["http"][0] == 301


def test_without_trusted_proxies_a_clients_x_forwarded_proto_is_not_believed():
    assert production()["forwarded https"][:2] == [301, "https://shop.example.com/admin/login/"]


def test_development_keeps_plain_http():
    answers = production(DEBUG="1", ALLOWED_HOSTS="shop.example.com,localhost")
    assert answers["http"][0] == 302  # on to the admin login, over http
