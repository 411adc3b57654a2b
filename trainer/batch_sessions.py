"""Batch results into the trainer store: ``python -m vision analyze FOLDER --cluster ... --client NAME``
saves every analysed clip as a session of that client, where the trainers look (the Clients page)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from trainer.store import Store


def session_saver(client_name: str, database_url: str | None = None) -> Callable[[Path, dict, Any], None]:
    """A ``BatchOptions.on_result`` that saves each clip for ``client_name`` (the client is created if
    the store has none by that name). A session's date is the clip file's modification time, the
    nearest to when it was filmed that a file tells; its notes name the clip."""
    store = Store.open(database_url)
    client = store.find_client(client_name) or store.create_client(client_name, notes="Created by a batch analysis.")

    def save(clip: Path, result: dict, worst_frame: Any) -> None:
        filmed = datetime.fromtimestamp(Path(clip).stat().st_mtime, tz=timezone.utc)
        store.save_session(client.id, result, recorded_at=filmed, notes=f"Batch analysis of {Path(clip).name}",
                           worst_frame_rgb=worst_frame)

    return save
