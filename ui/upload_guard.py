"""Who may upload files to this server, and how much one browser session may hold (issue 23 #3).

Streamlit 1.67 (``web/server/starlette/starlette_routes.py``, ``_upload_put``) accepts a ``PUT
/_stcore/upload_file/<session id>/<file id>`` from any open websocket session that sends the XSRF
cookie and header, whether or not its page has a file uploader, and keeps every file in memory
(``runtime/memory_uploaded_file_manager.py``) until the session ends: the sign-in page alone was
enough to fill the server's memory. Streamlit has no setting for it, so :func:`install` (called once
by ``app.py``) wraps two methods of the running server's own objects:

* ``Runtime.is_active_session``, which the upload route calls *before it reads the request body*:
  for that caller only, a session without an upload permit gets ``403`` at once, so the body is
  never read into memory;
* the upload store's ``add_file`` (after the body, before the file is kept): the permit is checked
  again (it may have ended meanwhile), and a session keeps **one file**: a new upload replaces and
  drops the session's earlier ones (the analyse page's uploader takes one video at a time). The
  screening page, one uploader per protocol step, asks for at most ``MAX_FILES_CAP`` (5): a new
  upload beyond the permit's count drops the session's oldest files.

A permit is given by the page that draws the uploader (:func:`allow`, the analyse page and the
screening page, which run only once the sign-in gate has let the session in) and lasts as long as
the sign-in would (the idle timeout; no limit on a computer that needs no sign-in). The sign-in form takes it back and drops the
session's files (:func:`revoke`). Anything unexpected refuses the upload (fail closed); nothing here
raises into the app.
"""

from __future__ import annotations

import logging
import math
import sys
import threading
import time

log = logging.getLogger("squatcheck.ui.upload_guard")

_UPLOAD_ROUTE = "_upload_put"  # the upload handler of streamlit/web/server/starlette/starlette_routes.py

_lock = threading.Lock()
MAX_FILES_CAP = 5  # the most files any page may let one session hold (the screening's five steps)
_permits: dict[str, tuple[float, int]] = {}  # session id -> (time.time() at which the permit ends, files held)
_installed = False


class UploadRefused(Exception):
    """Raised inside Streamlit's upload route; turned into an HTTP status by :func:`_http_error`."""


def _http_error(status: int, detail: str) -> Exception:
    try:
        from starlette.exceptions import HTTPException

        return HTTPException(status_code=status, detail=detail)
    except Exception:  # noqa: BLE001 - no Starlette: any exception still refuses (500)
        return UploadRefused(detail)


def _session_id() -> str | None:
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        return ctx.session_id if ctx is not None else None
    except Exception:  # noqa: BLE001
        return None


def allowed(session_id: str) -> bool:
    """True while ``session_id`` holds an upload permit."""
    return files_allowed(session_id) > 0


def files_allowed(session_id: str) -> int:
    """How many files ``session_id`` may hold now: 0 without a live permit."""
    with _lock:
        permit = _permits.get(session_id)
    if permit is None or not time.time() < permit[0]:
        return 0
    return permit[1]


def allow(idle_timeout_s: float | None, max_files: int = 1) -> None:
    """This browser session shows the uploader to someone let in by the sign-in gate: it may upload
    until ``idle_timeout_s`` from now (``None``: no sign-in is needed, no limit) and hold
    ``max_files`` files at once (1, the analyse page; the screening page's steps: up to
    ``MAX_FILES_CAP``). Call on every run that draws the uploader, before it; the latest call's count
    holds (a page with one uploader brings the session back to one file at its next upload)."""
    sid = _session_id()
    if sid is None:
        return
    until = math.inf if idle_timeout_s is None else time.time() + max(float(idle_timeout_s), 0.0)
    count = min(max(int(max_files), 1), MAX_FILES_CAP)
    with _lock:
        _permits[sid] = (until, count)
        _forget_ended_sessions()


def revoke() -> None:
    """This browser session is at the sign-in form (signed out, idle, never signed in): no more
    uploads, and the files it holds are dropped."""
    sid = _session_id()
    if sid is None:
        return
    with _lock:
        _permits.pop(sid, None)
    try:
        from streamlit import runtime

        if runtime.exists():
            runtime.get_instance().uploaded_file_mgr.remove_session_files(sid)
    except Exception:
        log.exception("could not drop the uploads of a signed-out session")


def _forget_ended_sessions() -> None:
    """Drop the permits of sessions Streamlit no longer knows (called with ``_lock`` held)."""
    if len(_permits) < 64:
        return
    try:
        from streamlit import runtime

        mgr = runtime.get_instance()._session_mgr
        for sid in [s for s in _permits if mgr.get_session_info(s) is None]:
            del _permits[sid]
    except Exception:
        log.debug("could not prune upload permits", exc_info=True)


def install() -> bool:
    """Wrap the running server's upload checks (once per process). Returns True when the guard is in
    place; on failure it logs why and returns False (the app still runs)."""
    global _installed
    with _lock:
        if _installed:
            return True
        try:
            from streamlit import runtime

            rt = runtime.get_instance()
            mgr = rt.uploaded_file_mgr
            _wrap_active_check(rt)
            _wrap_add_file(mgr)
            _installed = True
            return True
        except Exception:
            log.exception("could not install the upload guard: uploads are not limited to signed-in sessions")
            return False


def _wrap_active_check(rt) -> None:
    original = rt.is_active_session

    def is_active_session(session_id: str) -> bool:
        active = original(session_id)
        try:
            from_upload_route = sys._getframe(1).f_code.co_name == _UPLOAD_ROUTE
        except Exception:  # noqa: BLE001
            from_upload_route = False
        if active and from_upload_route and not allowed(session_id):
            log.warning("upload refused before its body was read: session without an upload permit")
            raise _http_error(403, "Sign in to upload.")
        return active

    rt.is_active_session = is_active_session


def _wrap_add_file(mgr) -> None:
    original_add = mgr.add_file

    def add_file(session_id: str, file) -> None:
        try:
            count = files_allowed(session_id)
        except Exception:  # noqa: BLE001 - fail closed
            count = 0
        if count < 1:
            log.warning("upload refused: session without an upload permit")
            _drop_all(mgr, session_id)
            raise _http_error(403, "Sign in to upload.")
        _drop_all(mgr, session_id, keep=file.file_id, keep_newest=count - 1)  # the oldest beyond the count go
        original_add(session_id, file)

    mgr.add_file = add_file


def _drop_all(mgr, session_id: str, keep: str | None = None, keep_newest: int = 0) -> None:
    """Drop the session's files other than ``keep`` and its ``keep_newest`` latest ones (the store keeps
    them in the order they came)."""
    try:
        held = mgr.file_storage.get(session_id) or {}
        others = [f for f in list(held) if f != keep]
        for file_id in others[:max(len(others) - keep_newest, 0)]:
            mgr.remove_file(session_id, file_id)
    except Exception:  # noqa: BLE001
        try:
            mgr.remove_session_files(session_id)
        except Exception:
            log.exception("could not drop a session's uploads")
