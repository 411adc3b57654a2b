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
