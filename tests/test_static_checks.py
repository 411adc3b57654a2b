"""The linter and the type checker, as part of the test suite (so ``.ci/run`` runs them).

Both read their settings from ``pyproject.toml``: ruff lints the whole repository (pyflakes,
pycodestyle, bugbear); mypy checks the engine, ``vision/``. Each runs in a subprocess of this
interpreter, so the versions are the ones pinned in ``requirements.txt``.
"""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    out = _run("ruff", "check", "--no-cache", "--output-format", "concise", ".")
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_finds_nothing_in_the_engine():
    out = _run("mypy")  # files, settings and per-module exceptions: pyproject.toml
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_checkers_do_fail_on_a_real_error(tmp_path):
    """Not a pass for lack of looking: both report a planted bug with this configuration."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef f(x: int) -> str:\n    return x + undefined_name\n")
    lint = _run("ruff", "check", "--no-cache", "--config", str(REPO / "pyproject.toml"), str(bad))
    assert lint.returncode == 1 and "F401" in lint.stdout and "F821" in lint.stdout, lint.stdout + lint.stderr
    typed = tmp_path / "typed.py"
    typed.write_text("def f(x: int) -> str:\n    return x\n")
    types = _run("mypy", "--config-file", str(REPO / "pyproject.toml"), str(typed))
    assert types.returncode == 1 and "Incompatible return value type" in types.stdout, types.stdout + types.stderr
