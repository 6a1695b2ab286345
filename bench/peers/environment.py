"""The peers' throwaway virtual environment: made on first use, remade when its requirements change.

It is built with the Python that runs the bench, from ``requirements.txt`` here, constrained by
the project's ``requirements.txt``: the peers run on the project's Django, Celery, kombu, redis
and psycopg, so the comparison is of the libraries and not of their dependencies.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

from ..workers import ROOT

HERE = Path(__file__).resolve().parent
VENV = ROOT / "var" / "bench" / "peers-venv"
PYTHON = VENV / "bin" / "python"


def python() -> Path:
    """The environment's interpreter, the environment made or remade first if need be."""
    wanted = _fingerprint()
    marker = VENV / ".requirements"
    if PYTHON.exists() and marker.exists() and marker.read_text() == wanted:
        return PYTHON
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    constraints = VENV / "constraints.txt"
    constraints.write_text(_constraints((ROOT / "requirements.txt").read_text()))
    subprocess.run([*pip, "-c", str(constraints), "-r", str(HERE / "requirements.txt")], check=True)
    marker.write_text(wanted)
    return PYTHON


def _constraints(requirements: str) -> str:
    """The project's pins as constraints: pip takes a name and a version there, not extras."""
    return "".join(f"{re.sub(r'\[.*?\]', '', line)}\n" for line in requirements.splitlines() if "==" in line)


def _fingerprint() -> str:
    text = (ROOT / "requirements.txt").read_bytes() + (HERE / "requirements.txt").read_bytes()
    return f"{sys.version}\n{hashlib.sha256(text).hexdigest()}\n"
