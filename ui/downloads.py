"""Download buttons for clients' data that a link alone does not open.

Streamlit serves a download button's bytes from ``/media/<id>.<ext>``, a URL that needs no cookie and
answers for as long as the page shows the button (measured: plain curl fetched a client's PDF report
while the trainer's page was open). :func:`private_download_button` hands Streamlit a callable instead
(its deferred download): nothing is served before the click; on a click, which comes over the
signed-in browser session's own websocket, the callable first checks that session's sign-in again
(:func:`ui.auth.session_check`: signed in, not idle, password unchanged), then makes the bytes; the URL
Streamlit then creates for them is dropped from its memory ``URL_TTL_S`` seconds later (or at the end
of the next script run of any session, whichever comes first).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

import streamlit as st

log = logging.getLogger("squatcheck.ui.downloads")

URL_TTL_S = 10.0  # how long the URL of a clicked download answers (the browser fetches it at once)


def _expire_soon(delay_s: float = URL_TTL_S) -> None:
    """Drop the just-made download from Streamlit's media memory after ``delay_s``: a deferred
    download's file is referenced by no session, so Streamlit's own orphan cleanup removes it."""
    try:
        from streamlit import runtime

        mgr = runtime.get_instance().media_file_mgr
    except Exception:  # noqa: BLE001 - no runtime (tests, bare mode): nothing is served anyway
        return
    timer = threading.Timer(delay_s, mgr.remove_orphaned_files)
    timer.daemon = True
    timer.start()


def private_download_button(label: str, make: Callable[[], Any], *, container: Any = None, **kwargs: Any) -> None:
    """``st.download_button(label, <deferred>, **kwargs)`` whose bytes exist only after a click of a
    still-signed-in session (see the module docstring). ``make()`` returns the bytes (or text)."""
    from ui import auth
    from ui.session_store import shared_store

    check = auth.session_check()
    try:
        store = shared_store()
    except Exception:  # noqa: BLE001 - as the gate: a local server without a readable database runs open
        store = None

    def data():
        if store is not None:
            check(store)  # raises for a session that has ended: Streamlit then serves nothing
        elif auth.listens_on_network():
            raise auth.SignedOutError("The accounts could not be read.")
        payload = make()
        _expire_soon()
        return payload

    kwargs.setdefault("on_click", "ignore")
    (container or st).download_button(label, data, **kwargs)
