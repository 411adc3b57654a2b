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


def require_shared_videos() -> Path:
    if (SHARED_VIDEOS / "labels.csv").is_file():
        return SHARED_VIDEOS
    reason = f"labelled clips not found at {SHARED_VIDEOS} (../shared/videos beside the repo)"
    if os.environ.get("CI"):
        pytest.fail(reason + ": CI must have them")
    pytest.skip(reason)


def shared_clip(name: str) -> Path:
    """A real clip from ../shared/videos, or skip (fail under CI) when it is not there."""
    path = require_shared_videos() / name
    if not path.is_file():
        reason = f"real test clip {path} is not available"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
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
    if os.environ.get("CI") or os.environ.get("SQUATCHECK_REQUIRE_POSTGRES"):
        pytest.fail(reason + ": CI must run the PostgreSQL tests (setup.sh installs Debian's postgresql)")
    pytest.skip(reason)


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
