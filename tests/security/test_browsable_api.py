"""DRF's browsable API is a development tool: in production a browser asking for HTML gets JSON."""

from tests.security.production import answers_in_production

BROWSER = {"orders": ("/api/orders/", {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})}


def test_in_production_a_browser_gets_json_not_the_browsable_api():
    [status, _, _, content_type] = answers_in_production(BROWSER, HTTPS_ONLY="0")["orders"]
    assert (status, content_type) == (401, "application/problem+json")


def test_in_development_the_browsable_api_is_there():
    [status, _, _, content_type] = answers_in_production(BROWSER, DEBUG="1")["orders"]
    assert (status, content_type) == (401, "text/html; charset=utf-8")
