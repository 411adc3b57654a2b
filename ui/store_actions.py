"""A page's changes to the client store from widget callbacks, and its errors, in plain words.

A callback cannot draw: :func:`act` runs the store operation (which gets its store from
``ui.auth.get_store``, so the session is checked first) and queues the outcome under the page's
flash key; :func:`show_flash` draws the queue on the next render. :func:`plain` turns any failure
into one sentence a trainer can read: a store error as it is (shown as text, never as Markdown),
anything else as "Could not <action>: <reason>" with an OS error's file names left out (they name
the server's files) and the traceback in the log.
"""

from __future__ import annotations

import logging
from typing import Callable

import streamlit as st

from trainer.store import StoreError
from ui import clients_presenters as P

__all__ = ["act", "flash", "plain", "show_flash"]

log = logging.getLogger(__name__)


def plain(err: BaseException, action: str) -> str:
    """An exception as one plain sentence for the trainer."""
    if isinstance(err, StoreError):
        return P.md_text(err)  # names a client as typed: shown as text, never as Markdown
    log.error("could not %s", action, exc_info=err)
    # an OS error's text names the server's files (the saved upload, the database): keep the reason only
    detail = [err.strerror] if isinstance(err, OSError) and err.strerror else str(err).strip().splitlines()
    return P.md_text(f"Could not {action}: {detail[0] if detail else type(err).__name__}.")


def flash(key: str, kind: str, text: str) -> None:
    """Queue a message (``success`` / ``error`` / ``info``) for the page's next render."""
    st.session_state.setdefault(key, []).append((kind, text))


def show_flash(key: str) -> None:
    """Draw and clear the page's queued messages."""
    for kind, text in st.session_state.pop(key, []):
        {"success": st.success, "error": st.error, "info": st.info}.get(kind, st.info)(text)


def act(key: str, action: str, fn: Callable[[], str | None]) -> None:
    """Run a widget callback's store operation and queue its outcome under ``key``: its message on
    success, :func:`plain` on failure; nothing when the session has ended (the sign-in form says why)."""
    from ui.auth import SignedOutError

    try:
        msg = fn()
    except SignedOutError:
        return
    except Exception as err:  # noqa: BLE001 - shown to the user in plain words
        flash(key, "error", plain(err, action))
    else:
        if msg:
            flash(key, "success", msg)
