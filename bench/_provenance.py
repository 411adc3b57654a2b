"""What code a benchmark result came from: shared by bench/accuracy.py and bench/speed.py."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def git_state() -> str:
    """Commit and uncommitted engine files (read-only git calls), so a result names its code."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, timeout=10, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "vision", "models"], cwd=REPO,
                               capture_output=True, text=True, timeout=10, check=False).stdout.split("\n")
        dirty = [line[3:] for line in dirty if line.strip()]
        return head + (f" + uncommitted {', '.join(dirty)}" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def code_fingerprint() -> str:
    """Hash of the engine's source files: compared at the end to catch edits made during a run."""
    h = hashlib.sha256()
    for f in sorted((REPO / "vision").glob("*.py")):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:12]
