"""Issue 23 #4, against the real app in a real browser: a client's PDF report, session JSON, full
export and thumbnail have no ``/media/`` link that a plain HTTP client without the trainer's session
(no cookie, no websocket) can open while the trainer's page is open.

What Streamlit does (1.67, read in ``runtime/media_file_manager.py``): bytes given to
``st.download_button`` or ``st.image`` are served from ``/media/<content hash>.<ext>`` to anyone, for as
long as the session shows the element. The app now shows the thumbnail inline and hands the download
buttons a callable (a deferred download): nothing is served before a click; a click from the signed-in
session makes the bytes and a URL that answers for ``ui.downloads.URL_TTL_S`` seconds only.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS
from streamlit_server import running_app, sign_in
from trainer import accounts
from trainer.store import Store
from ui.downloads import URL_TTL_S

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def media_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("media")
    db = tmp / "clients.db"
    with Store.open(db) as s:
        zoe = accounts.add_user(s, "Zoe", "trainer", PASSWORD)
        client = s.for_user(zoe).create_client("Zack Zoesclient")
        frame = np.zeros((160, 120, 3), np.uint8)
        frame[40:120, 30:90] = (200, 60, 60)
        s.for_user(zoe).save_session(client.id, {"reps": [], "view": "front", "summary": {"rep_count": 0}},
                                     worst_frame_rgb=frame)
    with running_app(tmp, env={"SQUATCHECK_DB_URL": f"sqlite:///{db}"}) as (url, _proc, _log):
        yield url


def _status(url: str) -> int:
    """A plain GET: no cookie, no session, as curl would."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url), timeout=10) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def _download_url(page, button: str) -> str:
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name=button).first.click()
    return dl.value.url


def test_client_reports_exports_and_thumbnail_have_no_link_that_opens_without_the_session(media_app, playwright):
    url = media_app
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        requested = set()
        page.on("request", lambda r: requested.add(r.url) if r.url.startswith(url + "/media/") else None)
        page.goto(url + "/", wait_until="domcontentloaded")
        page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
        sign_in(page, "Zoe", PASSWORD)
        page.get_by_role("link", name="Clients").click()
        page.get_by_role("tab", name="Session details").click()
        page.get_by_role("button", name="Download PDF report").wait_for(timeout=60_000)
        time.sleep(1.5)  # the run's elements are drawn and their media fetched

        # the thumbnail is there, inline: no URL at all
        sources = page.eval_on_selector_all('[data-testid="stMain"] img', "els => els.map(e => e.src)")
        assert any(s.startswith("data:image/jpeg;base64,") for s in sources), sources
        # before any click, no /media/ URL the page fetched (or links to) opens without the session
        links = [u for u in page.eval_on_selector_all("a[href*='/media/']", "els => els.map(e => e.href)")
                 if u.startswith(url + "/media/")]
        opened = {u: _status(u) for u in requested | set(links)}
        assert not [u for u, code in opened.items() if code == 200], opened

        # a click of the signed-in page makes the report: its URL answers at once (the browser fetches
        # it), and no longer URL_TTL_S later, while the trainer is still signed in with the page open
        made = {"PDF report": _download_url(page, "Download PDF report")}
        right_after = _status(made["PDF report"])
        assert right_after == 200  # unguessable (a hash of the PDF) but not authenticated, for those seconds
        made["session JSON"] = _download_url(page, "Download data (JSON)")
        page.get_by_role("tab", name="Client & privacy").click()
        page.get_by_role("button", name="Export all data for this client").click()
        made["client export"] = _download_url(page, "Download Zack Zoesclient's data (JSON)")
        assert all(u.startswith(url + "/media/") for u in made.values()), made
        time.sleep(URL_TTL_S + 3)
        later = {what: _status(u) for what, u in made.items()}
        assert later == {what: 404 for what in made}, later
        assert page.get_by_text("Signed in as").count() > 0  # still signed in: the link alone was not enough
    finally:
        browser.close()
