"""The API clients of tests/api, for the security regression tests; a project process in production."""

import os
import subprocess
import sys

from tests.api.conftest import ApiUser, _fresh_throttle_counts, alice, bob, price_list, staff

__all__ = ["ApiUser", "_fresh_throttle_counts", "alice", "bob", "price_list", "production", "staff"]


def production(code: str = "", **extra: str) -> subprocess.CompletedProcess:
    """Run ``code`` after ``django.setup()`` with the project's settings, DEBUG off, and only ``extra`` set."""
    keep = {"PATH", "HOME", "PYENV_VERSION"}
    environment = {name: value for name, value in os.environ.items() if name in keep}
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "s" * 50, **extra}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
