"""A strict Content-Security-Policy on every answer; inline styles only with the request's nonce.

tests/browser/test_csp_in_chromium.py shows the pages working under it in Chromium.
"""

import re

import pytest

pytestmark = pytest.mark.django_db

STRICT = [
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
]


def directives(policy: str) -> dict[str, str]:
    return {name: value for name, _, value in (part.strip().partition(" ") for part in policy.split(";"))}


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/api/orders/", "/api/no-such-thing/", "/healthz"])
def test_every_answer_carries_the_policy(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    for directive in STRICT:
        assert directive in policy
    assert "unsafe-inline" not in directives(policy)["script-src"]


def test_an_inline_style_sheet_carries_the_nonce_the_policy_names(client):
    answer = client.get("/admin/login/")
    [nonce] = re.findall(r"'nonce-([^']+)'", directives(answer["Content-Security-Policy"])["style-src"])
    assert f'nonce="{nonce}"' in answer.content.decode()
    assert nonce not in client.get("/admin/login/").content.decode()  # a new one each time


def test_swagger_ui_has_no_inline_script(client):
    page = client.get("/api/docs/").content.decode()
    assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    script = client.get("/api/docs/?script=")
    assert (script.status_code, script["Content-Type"]) == (200, "application/javascript")


def test_drf_login_page_may_style_with_attributes_but_not_run_inline_script(client):
    policy = directives(client.get("/api/auth/login/")["Content-Security-Policy"])
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["script-src"] == "'self'"
