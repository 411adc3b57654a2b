"""Helpers for the store tests: the legacy database files, and a copy of the migrations with one
extra revision (to test a failing or slow upgrade without touching the real ones)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from trainer.store import LATEST_SCHEMA_VERSION, MIGRATIONS_DIR

LEGACY_DIR = Path(__file__).resolve().parent / "data"


def with_extra_revision(tmp_path: Path, upgrade_body: str) -> Path:
    """A copy of trainer/migrations with revision LATEST+1 whose upgrade() runs ``upgrade_body``."""
    target = tmp_path / "migrations_plus_one"
    shutil.copytree(MIGRATIONS_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    rev = f"{LATEST_SCHEMA_VERSION + 1:04d}"
    body = textwrap.indent(textwrap.dedent(upgrade_body).strip(), "    ")
    (target / "versions" / f"{rev}_extra.py").write_text(
        f'"""extra test revision"""\nfrom alembic import op\n\nrevision = "{rev}"\n'
        f'down_revision = "{LATEST_SCHEMA_VERSION:04d}"\nbranch_labels = None\ndepends_on = None\n\n\n'
        f"def upgrade():\n{body}\n\n\ndef downgrade():\n    pass\n")
    return target
