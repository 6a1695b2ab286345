"""Headless Chromium for the browser tests, and an operator logged in to admin."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from playwright.sync_api import Locator, Page, expect, sync_playwright

from tests.processes import ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "var" / "screenshots"
WIDTHS = (1400, 1024)
SCHEMES = ("light", "dark")


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


def each_look(page: Page, *, height: int = 900) -> Iterator[tuple[int, str]]:
    """The page at each width, light and dark (the colour scheme the admin follows); 1400 px light after."""
    try:
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": height})
                yield width, scheme
    finally:
        page.emulate_media(color_scheme="light")
        page.set_viewport_size({"width": WIDTHS[0], "height": height})


def screenshots(
    page: Page, name: str, *, height: int = 900, part: Locator | None = None, full_page: bool = True
) -> None:
    """``name-WIDTH-SCHEME.png`` for each look: of ``part`` when given, else of the page (all of it)."""
    for width, scheme in each_look(page, height=height):
        path = SCREENSHOTS / f"{name}-{width}-{scheme}.png"
        if part is None:
            page.screenshot(path=path, full_page=full_page)
        else:
            part.screenshot(path=path)
