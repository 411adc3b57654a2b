"""Helpers for the store tests: the legacy database files (loaded into SQLite or PostgreSQL), and a
copy of the migrations with one extra revision (to test a failing or slow upgrade, or a schema a
migration broke, without touching the real ones)."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

from sqlalchemy.engine import make_url

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


def load_legacy(url: str, version: int, tmp_path: Path, postgres_server=None) -> None:
    """Put the database the pre-Alembic store wrote (schema ``version``) at ``url``."""
    if url.startswith("sqlite"):
        target = Path(make_url(url).database)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((LEGACY_DIR / f"store_v{version}.sqlite").read_bytes())
        return
    database = make_url(url).database
    psql = postgres_server.bindir / "psql"
    subprocess.run([str(psql), "-q", "-v", "ON_ERROR_STOP=1", "-h", str(postgres_server.socket_dir),
                    "-p", str(make_url(url).query["port"]), "-U", "postgres", "-d", database,
                    "-f", str(LEGACY_DIR / f"store_v{version}.postgres.sql")],
                   check=True, capture_output=True, text=True, timeout=60)
