"""Headless Chromium for the browser tests, and an operator logged in to admin."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from playwright.sync_api import Page, expect, sync_playwright

from tests.processes import ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "var" / "screenshots"


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still
    # plain synchronous code, which Django would otherwise refuse next to a running loop.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield browser.new_page(viewport={"width": 1400, "height": 1000})
        browser.close()
        # Connections opened while Playwright's loop ran belong to that context: close them here,
        # or they outlive the test and PostgreSQL refuses to drop the test database.
        connections.close_all()


def log_in(page: Page, base_url: str) -> None:
    get_user_model().objects.create_superuser("operator", "operator@example.com", "operator-password")
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "operator-password")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("operator")
