"""The "Save to a client" form under an analysis's results (the analyse page and the live page).

:func:`render_save_to_client` saves the analysis as a session of a chosen (or new) client, with the
worst rep's thumbnail and, only when the trainer ticks it, a copy of the video. The store comes
from :func:`ui.auth.get_store` (the store as the signed-in account may see it); every error is a
plain-words ``st.error`` (:func:`ui.store_actions.plain`), never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping

import streamlit as st

from ui import clients_presenters as P
from trainer.store import ClientRecord
from ui.auth import get_store
from ui.store_actions import plain

__all__ = ["render_save_to_client"]

log = logging.getLogger(__name__)


def _fingerprint(result: Mapping[str, Any]) -> str:
    blob = json.dumps(result, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha1(blob.encode("ascii")).hexdigest()


def render_save_to_client(
    result: dict,
    video_path: str | None,
    worst_frame_rgb: Any = None,
    *,
    key: str = "save_to_client",
) -> int | None:
    """A compact "save this analysis to a client's history" form.

    ``result``: the analysis dict (``Analysis.result``). ``video_path``: the analysed clip
    (copied only if the trainer ticks "Keep the video on this computer", default off).
    ``worst_frame_rgb``: the worst rep's bottom frame, stored as a small thumbnail for the
    PDF report. ``key``: prefix for widget keys (change it to embed the form twice).
    Returns the saved session id (also on later reruns for the same result), else None.
    """
    k = lambda name: f"{key}_{name}"  # noqa: E731
    with st.container(border=True):
        st.markdown("**Save to a client's history**")
        if not isinstance(result, Mapping):
            st.error("There is no analysis result to save.")
            return None
        try:
            fingerprint = _fingerprint(result)
        except Exception as err:  # noqa: BLE001
            st.error(plain(err, "read the analysis result"))
            return None
        done = st.session_state.get(k("saved"))
        if done and done[0] == fingerprint:
            st.success(done[1])
            st.caption("Open the Clients page to see the history, or analyse another video.")
            return done[2]

        try:
            store = get_store()
            clients = store.list_clients()
        except Exception as err:  # noqa: BLE001
            st.error(plain(err, "open the client history"))
            return None

        names = {c.id: c.name for c in clients}
        options: list[Any] = [P.NEW_CLIENT] + [c.id for c in clients]
        choice = st.selectbox(
            "Client", options, index=None, placeholder="Choose a client...", key=k("client"),
            format_func=lambda o: "+ New client" if o == P.NEW_CLIENT else names.get(o, f"#{o}"),
        )
        new_name = ""
        if choice == P.NEW_CLIENT:
            new_name = st.text_input("New client's name", key=k("new_name"))
        day = st.date_input("Date filmed", max_value=date.today(), key=k("date"))
        notes = st.text_area("Notes (optional)", key=k("notes"), height=68)
        can_keep = bool(video_path) and Path(str(video_path)).is_file()
        keep = st.checkbox(
            "Keep the video on this computer", value=False, key=k("keep"), disabled=not can_keep,
            help="Off: only the numbers and a small picture of the worst rep are saved. "
                 "On: a copy of the video is also stored on this computer (never uploaded).",
        )
        if not st.button("Save to client history", key=k("button"), type="primary"):
            return None

        if choice is None:
            st.error("Choose a client, or “+ New client” to add one.")
            return None
        if choice == P.NEW_CLIENT and not (new_name or "").strip():
            st.error("Type the new client's name.")
            return None
        if not isinstance(day, date):
            day = date.today()
        created: ClientRecord | None = None
        try:
            if choice == P.NEW_CLIENT:
                created = store.create_client(new_name)
                client_id, client_name = created.id, created.name
            else:
                client_id, client_name = choice, names.get(choice, f"#{choice}")
            rec = store.save_session(
                client_id,
                dict(result),
                recorded_at=P.recorded_at_for(day, datetime.now()),
                notes=notes or "",
                video_path=video_path if keep else None,
                keep_video=bool(keep),
                worst_frame_rgb=worst_frame_rgb,
            )
        except Exception as err:  # noqa: BLE001
            if created is not None:  # don't leave an empty client behind a failed save
                try:
                    store.delete_client(created.id)
                except Exception:  # noqa: BLE001
                    log.warning("could not remove client %s after a failed save", created.id)
            st.error(plain(err, "save the session"))
            return None
        msg = f"Saved as session #{rec.id} for {P.md_text(client_name)}."
        if rec.video_path is not None:
            msg += " The video was kept on this computer."
        st.session_state[k("saved")] = (fingerprint, msg, rec.id)
        st.success(msg)
        return rec.id
