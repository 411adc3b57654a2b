"""A guided screening walked in a real browser (issue 22): ``streamlit run app.py`` + headless Debian Chromium.

A trainer signs in, opens the Screening page, adds a client there, uploads each step's clip through the page's
real ``<input type=file>`` (step 1: a front clip whose knees cave; step 2: a side clip; step 3, heels raised: the
same man's good squats), enters knee-to-wall and "no pain", analyses (the real engine), sees the ankle branch and
the graded plan, downloads the trainer's PDF (read back with pypdf), saves the screening, then starts a re-screen
(the caving clip as both squats: hip and trunk control) and sees it compared with the saved one, finding by
finding. The clips are those of tests/test_screening_cli.py, which gives the same branches from the command line.

Skips (with the reason) when /usr/bin/chromium or the shared clips are missing, unless CI is set: then it fails.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest

from conftest import CHROMIUM, CHROMIUM_ARGS, shared_clip
from streamlit_server import no_exception_on_page, running_app, sign_in
from trainer import accounts
from trainer.store import Store

pytestmark = [pytest.mark.e2e, pytest.mark.videos]
PASSWORD = "correct horse battery"
CAVING = "front_bodyweight_valgus_office_01.mp4"  # the engine reads all 4 reps clear (tests/test_screening_cli.py)
GOOD = "front_bodyweight_good_office_01.mp4"  # the same man and room, knees over the feet
SIDE = "side_bodyweight_fullsquat_01.mp4"
CLIENT = "Tina Screening"
ANALYSIS_TIMEOUT_MS = 600_000  # three clips on a busy 2-core machine


@pytest.fixture(scope="module")
def gym_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("screening_app")
    db = tmp / "clients.db"
    with Store.open(db) as s:
        accounts.add_user(s, "Tom", "trainer", PASSWORD)
    with running_app(tmp, env={"SQUATCHECK_DB_URL": f"sqlite:///{db}"}) as (url, _proc, log):
        yield url, db, log


def _settled_uploaders(page, expected: int = 5) -> int:
    """How many uploaders the page shows once the last run's elements have gone (Streamlit shows the old
    run's elements beside the new ones for a moment)."""
    uploaders = page.get_by_test_id("stMain").get_by_test_id("stFileUploader")
    deadline = time.monotonic() + 30
    while uploaders.count() != expected and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    page.wait_for_timeout(500)
    return uploaders.count()


def _table(page, column: str):
    """The table with a column headed ``column``."""
    return page.get_by_test_id("stTable").filter(has=page.get_by_role("columnheader", name=column, exact=True)).first


def _uploader(page, step: int):
    return page.get_by_test_id("stFileUploader").filter(has_text=f"Clip for step {step} (leave empty to skip)")


def _upload(page, step: int, clip: Path) -> None:
    """Upload ``clip`` into step ``step``'s uploader and wait until it is listed there once. While the
    run the upload starts redraws the page, the old run's uploader can stand beside the new one for a
    moment, each listing the file (a CI run saw two at once): wait for one, then for the old to go."""
    box = _uploader(page, step)
    box.locator('input[type="file"]').set_input_files(str(clip))
    listed = box.get_by_role("button", name=f"Remove {clip.name}")
    listed.first.wait_for(timeout=60_000)  # uploaded: listed
    deadline = time.monotonic() + 30
    while listed.count() != 1 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert listed.count() == 1, f"{clip.name} listed {listed.count()} times in step {step}'s uploader"
    page.wait_for_timeout(1500)  # the run the upload started


def _number(page, label: str, value: str) -> None:
    field = page.get_by_label(label)
    field.fill(value)
    field.press("Enter")
    page.wait_for_timeout(500)


def _pain_no(page) -> None:
    page.get_by_role("radiogroup", name="Pain during the squat?").get_by_text("No", exact=True).click()
    page.wait_for_timeout(500)


def _page_text(page) -> str:
    """The main area's text, every part of it drawn: Streamlit draws a table's rows only once it has been
    scrolled into view, so the page is scrolled through first."""
    page.mouse.move(800, 500)
    for _ in range(60):
        before = page.evaluate("() => [...document.querySelectorAll('*')].map(e => e.scrollTop).join()")
        page.mouse.wheel(0, 700)
        page.wait_for_timeout(150)
        if page.evaluate("() => [...document.querySelectorAll('*')].map(e => e.scrollTop).join()") == before:
            break
    return page.get_by_test_id("stMain").inner_text()


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def test_a_trainer_walks_a_screening_downloads_the_report_saves_it_and_a_rescreen_is_compared(gym_app, playwright):
    url, db, log = gym_app
    caving, good, side = shared_clip(CAVING), shared_clip(GOOD), shared_clip(SIDE)
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        page.goto(url + "/", wait_until="domcontentloaded")
        page.get_by_role("button", name="Sign in").wait_for(timeout=60_000)
        sign_in(page, "Tom", PASSWORD)
        page.get_by_role("link", name="Screening").click()
        page.get_by_role("heading", name="Guided screening").wait_for(timeout=60_000)
        assert "Screening aid, not a diagnosis" in page.inner_text("body")

        # a new client, added on the page (no clients yet: the form is open) and picked for the screening
        page.get_by_label("New client's name").fill(CLIENT)
        page.get_by_role("button", name="Add client").click()
        page.get_by_text(f"Added {CLIENT}.").wait_for(timeout=30_000)
        picked = page.get_by_test_id("stMain").get_by_test_id("stSelectbox").first
        assert CLIENT in picked.inner_text() + picked.locator("input").first.input_value()

        # every step shown with how to film it; one upload each, through the real file inputs
        # (the page redraws after the client is added: wait until its last step card is there)
        page.get_by_text("Step 5 · ").first.wait_for(timeout=30_000)
        body = page.inner_text("body")
        for n in range(1, 6):
            assert f"Step {n} · " in body
        assert "When: only when the knees caved in in step 1" in body
        assert _settled_uploaders(page) == 5
        _upload(page, 1, caving)
        _upload(page, 2, side)
        _upload(page, 3, good)
        _number(page, "Knee-to-wall, left (cm)", "8.5")
        _number(page, "Knee-to-wall, right (cm)", "11")
        _pain_no(page)
        no_exception_on_page(page)

        t0 = time.monotonic()
        page.get_by_role("button", name="Analyse the clips and screen").click()
        page.get_by_text("Heels-raised test: Ankle mobility probably contributes").wait_for(
            timeout=ANALYSIS_TIMEOUT_MS)
        print(f"three clips analysed and screened in {time.monotonic() - t0:.0f} s")
        no_exception_on_page(page)
        body = _page_text(page)
        assert re.search(r"Needed: the knees caved in on \d of \d judged reps in step 1", body)
        assert f"Step 1 · Squat from the front: analysed ({CAVING}" in body
        assert f"Step 2 · Squat from the side: analysed ({SIDE}" in body
        assert "Step 4 · Single-leg squat on the left leg: skipped" in body
        assert "8.5 cm on the left: below the cut-off" in body
        assert "Static calf stretch" in body and "evidence: moderate" in body  # the plan, graded
        assert "Chosen because" in body and "Regression" in body and "Progression" in body
        assert "Certification convention (NASM), not a diagnosis" in body
        retest = re.search(r"Re-test on (\d{4}-\d{2}-\d{2})", body).group(1)

        # the trainer's report, made on the click of the signed-in page
        with page.expect_download(timeout=120_000) as dl:
            page.get_by_role("button", name="Download the trainer's report (PDF)").click()
        data = Path(dl.value.path()).read_bytes()
        assert data.startswith(b"%PDF")
        text = _pdf_text(data)
        assert "Guided screening: trainer's report" in text and CLIENT in text
        assert "Heels-raised test: Ankle mobility probably contributes" in text
        assert f"Re-test on {retest}" in text and "[evidence: moderate]" in text
        assert "Your squat check" in text  # the client's handout, on its own page after the report

        # saved to the client
        page.get_by_role("button", name=f"Save to {CLIENT}'s history").click()
        page.get_by_text(f"Saved as screening #1 for {CLIENT}.").wait_for(timeout=30_000)
        with Store.open(db) as s:
            [saved] = [r for c in s.list_clients() for r in s.list_screenings(c.id)]
        assert saved.branch == "ankle" and saved.retest_on == retest and not saved.referral

        # a re-screen: the caving clip as both squats (analysed before: the page reuses the analysis)
        page.get_by_role("button", name="Start a new screening (a re-screen)").click()
        page.get_by_role("button", name="Analyse the clips and screen").wait_for(timeout=30_000)
        assert _settled_uploaders(page) == 5
        assert not page.get_by_test_id("stFileChip").count()  # a new screening starts with empty uploads
        _upload(page, 1, caving)
        _upload(page, 3, caving)
        _number(page, "Knee-to-wall, left (cm)", "9")
        _number(page, "Knee-to-wall, right (cm)", "11")
        _pain_no(page)
        page.get_by_role("button", name="Analyse the clips and screen").click()
        page.get_by_text("Heels-raised test: Hip and trunk control").wait_for(timeout=ANALYSIS_TIMEOUT_MS)
        page.get_by_text(re.compile(r"Compared with the last screening \(\d{4}-\d{2}-\d{2}\)")).wait_for(
            timeout=30_000)
        no_exception_on_page(page)
        assert "Heels-raised test: Hip and trunk control" in _page_text(page)  # scrolled through: all drawn
        table = _table(page, "Verdict")
        left = table.locator("tr").filter(has_text="Knee-to-wall, left").first.inner_text()
        assert "not meaningful (within measurement error)" in left and "+0.5" in left, left  # 8.5 -> 9 cm
        foot = table.locator("tr").filter(has_text="Left knee inside its foot line").first.inner_text()
        assert "not meaningful (within measurement error)" in foot, foot  # the same clip both times
        categories = _table(page, "Note").inner_text()
        assert "Ankle mobility probably contributes" in categories and "Hip and trunk control" in categories
        page.get_by_role("button", name=f"Save to {CLIENT}'s history").click()
        page.get_by_text(f"Saved as screening #2 for {CLIENT}.").wait_for(timeout=30_000)
        with Store.open(db) as s:
            branches = [r.branch for c in s.list_clients() for r in s.list_screenings(c.id)]
        assert branches == ["ankle", "hip_control"]
        assert "Traceback" not in log.read_text(errors="replace")
    finally:
        browser.close()
