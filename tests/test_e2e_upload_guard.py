"""Issue 23 #3, against the real app: a browser session at the sign-in page (no sign-in) cannot fill
the server's memory with ``PUT /_stcore/upload_file/<its session id>/<file id>``, and a signed-in
trainer's session holds one upload at a time, yet still uploads and analyses a clip.

The browser is Playwright's headless Chromium: its websocket session is the one Streamlit created
for the page (its id read from the first ``ForwardMsg``, ``new_session.initialize.session_id``), and
the PUTs carry the page's cookies and the XSRF header as Streamlit's own uploader sends them.
Memory is the server process's resident set (``/proc/<pid>/status``, VmRSS).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, shared_clip
from streamlit_server import running_app, sign_in

from trainer import accounts
from trainer.store import Store

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"
FILE_MB = 40
TRIES = 4
CLIP = "front_bodyweight_valgus_office_01.mp4"  # 3-4 reps (tests/test_e2e_browser.py uses it too)


@pytest.fixture(scope="module")
def gym_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("uploads")
    db = tmp / "clients.db"
    with Store.open(db) as s:
        accounts.add_user(s, "Tom", "trainer", PASSWORD)
    with running_app(tmp, env={"SQUATCHECK_DB_URL": f"sqlite:///{db}"}) as (url, proc, _log):
        yield url, proc


@pytest.fixture
def browser(playwright):
    b = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _settled_rss_mb(pid: int) -> float:
    time.sleep(2.0)
    return _rss_mb(pid)


def _open_page(browser, url: str):
    """A page at the app with its websocket session id."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    ids: list[str] = []

    def on_frame(payload):
        if isinstance(payload, (bytes, bytearray)) and not ids:
            try:
                msg = ForwardMsg.FromString(bytes(payload))
            except Exception:  # noqa: BLE001 - not a ForwardMsg
                return
            if msg.HasField("new_session") and msg.new_session.initialize.session_id:
                ids.append(msg.new_session.initialize.session_id)

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    page.goto(url + "/", wait_until="domcontentloaded")
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    deadline = time.monotonic() + 30
    while not ids and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert ids, "no new_session message seen on the page's websocket"
    return page, ids[0]


def _put(page, url: str, session_id: str, name: str, data: bytes) -> int | str:
    """PUT one file as Streamlit's uploader does (the page's cookies, the XSRF header)."""
    xsrf = next(c["value"] for c in page.context.cookies() if c["name"] == "_streamlit_xsrf")
    try:
        resp = page.request.put(f"{url}/_stcore/upload_file/{session_id}/{uuid.uuid4()}",
                                multipart={"file": {"name": name, "mimeType": "text/html", "buffer": data}},
                                headers={"X-Xsrftoken": xsrf, "Origin": url}, timeout=120_000)
        return resp.status
    except Exception as err:  # noqa: BLE001 - the server may close the connection on a refused body
        return f"error: {err}".splitlines()[0]


def test_uploads_from_the_sign_in_page_are_refused_and_a_session_holds_one_file(gym_app, browser):
    url, proc = gym_app
    page, sid = _open_page(browser, url)
    data = b"<html>" + b"x" * (FILE_MB * 1024 * 1024)

    before = _settled_rss_mb(proc.pid)
    anonymous = [_put(page, url, sid, f"a{i}.html", data) for i in range(TRIES)]
    after_anonymous = _settled_rss_mb(proc.pid)
    print(f"anonymous PUTs: {anonymous}; RSS {before:.0f} -> {after_anonymous:.0f} MB "
          f"({TRIES} x {FILE_MB} MB sent)")
    assert all(s == 403 for s in anonymous), anonymous
    assert after_anonymous - before < FILE_MB, (before, after_anonymous)

    # signed in, the analyse page's uploader on screen: uploads are taken, one held at a time
    sign_in(page, "Tom", PASSWORD)
    page.locator('input[type="file"]').wait_for(state="attached", timeout=60_000)
    signed_in = [_put(page, url, sid, f"s{i}.html", data) for i in range(TRIES)]
    after_signed_in = _settled_rss_mb(proc.pid)
    print(f"signed-in PUTs: {signed_in}; RSS {after_anonymous:.0f} -> {after_signed_in:.0f} MB")
    assert all(s == 204 for s in signed_in), signed_in
    assert after_signed_in - after_anonymous < 2 * FILE_MB, (after_anonymous, after_signed_in)

    # signing out gives the held file back and closes the door again
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
    after_sign_out = _settled_rss_mb(proc.pid)
    print(f"after sign-out: RSS {after_sign_out:.0f} MB")
    assert _put(page, url, sid, "late.html", data) == 403
    assert after_sign_out - before < FILE_MB, (before, after_sign_out)


def test_a_signed_in_trainer_uploads_and_analyses_a_clip(gym_app, browser):
    url, _proc = gym_app
    clip = shared_clip(CLIP)
    page, _sid = _open_page(browser, url)
    sign_in(page, "Tom", PASSWORD)
    page.locator('input[type="file"]').wait_for(state="attached", timeout=60_000)
    page.locator('input[type="file"]').set_input_files(str(clip))
    page.locator('[data-testid="stDataFrame"]').wait_for(timeout=180_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    rows = int(page.locator('[data-testid="stDataFrame"] [aria-rowcount]').first.get_attribute("aria-rowcount")) - 1
    assert rows >= 1
