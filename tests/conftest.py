"""Shared test fixtures: where the labelled real clips live, and how missing ones are handled.

The clips are never copied into the repo. On CI (env CI set) their absence is a failure; on a
user's machine the tests that need them skip with the reason.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_VIDEOS = REPO.parent / "shared" / "videos"


def missing(reason: str):
    """Something a test needs is not on this machine: a failure under CI (CI must run every test),
    a skip with the reason elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(reason + " (required when CI is set)")
    pytest.skip(reason)


def require_shared_videos() -> Path:
    if not (SHARED_VIDEOS / "labels.csv").is_file():
        missing(f"labelled clips not found at {SHARED_VIDEOS} (../shared/videos beside the repo)")
    return SHARED_VIDEOS


def shared_clip(name: str) -> Path:
    """A real clip from ../shared/videos, or skip (fail under CI) when it is not there."""
    path = require_shared_videos() / name
    if not path.is_file():
        missing(f"real test clip {path} is not available")
    return path


@pytest.fixture(scope="session")
def shared_videos() -> Path:
    return require_shared_videos()


@pytest.fixture(scope="session")
def labels(shared_videos) -> dict[str, dict]:
    with open(shared_videos / "labels.csv", newline="") as fh:
        return {row["file"]: row for row in csv.DictReader(fh)}


# --------------------------------------------------------------------------- PostgreSQL

def _no_postgres(reason: str):
    if os.environ.get("SQUATCHECK_REQUIRE_POSTGRES"):
        pytest.fail(reason)
    missing(reason + " (setup.sh installs Debian's postgresql)")


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for this test run (a throwaway cluster in a temp folder)."""
    from postgres_server import ThrowawayPostgres, find_bindir

    bindir = find_bindir()
    if bindir is None:
        _no_postgres("PostgreSQL server binaries (initdb, pg_ctl) not found")
    server = ThrowawayPostgres(bindir)
    try:
        server.start()
    except Exception as err:  # noqa: BLE001 - report why the server did not start
        server.stop()
        _no_postgres(f"could not start a PostgreSQL server: {err} {getattr(err, 'stderr', '')}")
    yield server
    server.stop()


_db_counter = iter(range(1, 10_000))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """An empty client database: a SQLite file, or a new database on the real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'db' / 'squatcheck.db'}"
    server = request.getfixturevalue("postgres_server")
    return server.create_database(f"t{next(_db_counter)}_{os.getpid()}")


# --------------------------------------------------------------------------- the browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def playwright():
    """Playwright driving Debian's headless Chromium (a missing browser fails under CI, else skips)."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium) for browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright Python package is not installed")
    with sync_playwright() as p:
        yield p
