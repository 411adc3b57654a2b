"""The Screening page (ui/screening_page.py) in the whole app, through Streamlit's AppTest, with a signed-in
trainer and a real SQLite file; and the upload guard's per-session count (ui/upload_guard.py).

The clips go through the page's real file uploaders (``AppTest``'s ``file_uploader.set_value``); the engine is
replaced by constructed results chosen by the clip's bytes (``tests/test_screening.py``'s builders, the shape
the engine writes), so each test knows the exact answer. The real engine on real clips in a real browser:
tests/test_e2e_screening.py.
"""

from __future__ import annotations

import copy
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from test_screening import CAVING, GOOD, rep, result
from trainer import accounts
from trainer.store import ENV_DB_URL, Store
from ui import auth, upload_guard

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PASSWORD = "correct horse battery"
TIMEOUT = 60
SIDE = result([rep(i, "not_judged", view="side", lean=25.0, heel=0.02, flags=("forward_lean",)) for i in range(1, 6)],
              view="side")
CLIPS = {b"caving": CAVING, b"good": GOOD, b"side": SIDE}  # the uploaded bytes -> the engine's result


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "clients.db"
    monkeypatch.setenv(ENV_DB_URL, f"sqlite:///{path}")
    st.cache_resource.clear()
    with Store.open(path) as s:
        tom = accounts.add_user(s, "Tom", "trainer", PASSWORD)
        s.for_user(tom).create_client("Tina Tomsclient")
    yield path
    st.cache_resource.clear()


@pytest.fixture
def engine(monkeypatch):
    """``vision.analysis.analyze_video`` answering from CLIPS; records each call (path's bytes, profile)."""
    import vision.analysis

    calls: list[tuple[bytes, str]] = []

    def analyze_video(path, options=None, *, progress=None):
        data = Path(path).read_bytes()
        calls.append((data, options.profile if options else "bodyweight"))
        if progress is not None:
            progress(10, 10)
        if data not in CLIPS:
            from vision.errors import VideoReadError

            raise VideoReadError(f"Could not read {path}: not a video.")
        return SimpleNamespace(result=copy.deepcopy(CLIPS[data]))

    monkeypatch.setattr(vision.analysis, "analyze_video", analyze_video)
    return calls


def run(at: AppTest) -> AppTest:
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    return at


def screening_page() -> AppTest:
    """The app, signed in as Tom, on the Screening page."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    run(at)
    at.text_input(key="auth_name").input("Tom")
    at.text_input(key="auth_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run(timeout=TIMEOUT)  # signed in, on the default page (the pages are registered only now)
    at.switch_page("ui/screening_page.py")
    run(at)
    assert [t.value for t in at.title] == ["Guided screening"]
    return at


def text(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.title, *at.header, *at.subheader, *at.caption, *at.error,
                                *at.info, *at.warning, *at.success)]
    for table in at.table:
        parts.append(" | ".join(map(str, table.value.columns)))
        parts += [" | ".join(map(str, row)) for row in table.value.itertuples(index=False)]
    return "\n".join(map(str, parts)).replace("\\", "")


def tables(at: AppTest) -> list:
    """The page's tables with the Markdown escapes taken out (cells are shown as typed)."""
    out = []
    for t in at.table:
        df = t.value.map(lambda v: str(v).replace("\\", ""))
        df.columns = [str(c).replace("\\", "") for c in df.columns]
        out.append(df)
    return out


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def upload(at: AppTest, step: str, data: bytes, name: str | None = None, nonce: int = 0) -> None:
    at.file_uploader(key=f"scr_{nonce}_up_{step}").set_value((name or f"{step}.mp4", data, "video/mp4"))


def pick_client(at: AppTest, db: Path, name: str = "Tina Tomsclient") -> None:
    with Store.open(db) as s:
        client_id = s.find_client(name).id
    at.selectbox(key="scr_client").set_value(client_id)


def analyse(at: AppTest) -> AppTest:
    button(at, "Analyse the clips and screen").click()
    return run(at)


# --------------------------------------------------------------------------- the steps


def fill_by_hand(at: AppTest, screened_on: date) -> None:
    """What the trainer types in: knee-to-wall 8.5 cm left (below the cut-off) and 11 cm right, no pain,
    the screening date."""
    at.number_input(key="scr_0_ktw_left").set_value(8.5)
    at.number_input(key="scr_0_ktw_right").set_value(11.0)
    at.radio(key="scr_0_pain").set_value("No")
    at.date_input(key="scr_0_date").set_value(screened_on)

def test_the_page_shows_every_step_with_how_to_film_it_and_says_it_is_not_a_diagnosis(db, engine):
    at = screening_page()
    page = text(at)
    assert "Screening aid, not a diagnosis" in page
    for n, title in enumerate(["Squat from the front", "Squat from the side", "Heels-raised squat from the front",
                               "Single-leg squat on the left leg", "Single-leg squat on the right leg"], 1):
        assert f"Step {n} · {title}" in page
    assert page.count("Reps: 5") == 5 and "Camera: from the side (90 degrees)" in page
    assert "When: only when the knees caved in in step 1" in page
    assert "both heels on a plate or board about 2.5 cm high" in page
    assert [u.label for u in at.file_uploader] == [f"Clip for step {n} (leave empty to skip)" for n in range(1, 6)]
    assert {n.label for n in at.number_input} >= {"Knee-to-wall, left (cm)", "Knee-to-wall, right (cm)"}
    assert at.radio(key="scr_0_pain").options == ["No", "Yes"] and at.radio(key="scr_0_pain").value is None
    assert "Findings" not in [h.value for h in at.header]  # nothing analysed yet
    assert engine == []


def test_no_caving_in_step_1_means_the_heels_raised_step_is_not_needed_and_skipped_steps_are_said(db, engine):
    at = screening_page()
    upload(at, "front", b"good")
    run(at)
    analyse(at)
    page = text(at)
    assert engine == [(b"good", "bodyweight")]
    assert "Not needed: the knees did not cave in in step 1." in page
    assert len(at.file_uploader) == 4  # step 3's upload is no longer offered
    assert "Heels-raised test: Not needed: the knees did not cave in" in page
    assert "Squat from the side: skipped" in page and "Single-leg squat on the left leg: skipped" in page
    assert "Forward lean and heel rise (side squat): The side squat was skipped" in page  # not concluded, said
    assert "Knee-to-wall not measured" in page and "Pain was not asked" in page
    assert "No corrective exercise is called for" in page

    # a clip added after the analysis: no stale result, until it is analysed too
    upload(at, "side", b"side")
    run(at)
    assert "Not analysed yet (a new clip, or other settings): Step 2 · Squat from the side" in text(at)
    assert "Findings" not in [h.value for h in at.header]
    analyse(at)
    assert engine == [(b"good", "bodyweight"), (b"side", "bodyweight")]
    assert "Step 2 · Squat from the side: analysed (side.mp4, 5 reps, seen from the side)" in text(at)


def test_caving_in_step_1_offers_the_heels_raised_step_and_without_it_the_branch_is_not_tested(db, engine):
    at = screening_page()
    upload(at, "front", b"caving")
    run(at)
    analyse(at)
    page = text(at)
    assert "Needed: the knees caved in on 5 of 5 judged reps in step 1." in page
    assert len(at.file_uploader) == 5
    assert "Heels-raised test: Not tested: the heels-raised squat was not filmed" in page
    assert "ankle and hip cannot be told apart without it" in page


def test_caving_gone_with_the_heels_raised_gives_the_ankle_branch_a_graded_plan_and_a_retest_date(db, engine):
    at = screening_page()
    upload(at, "front", b"caving")
    upload(at, "side", b"side")
    upload(at, "heels_raised", b"good", name="heels <b>raised</b>.mp4")
    fill_by_hand(at, date(2026, 12, 7))
    run(at)
    analyse(at)
    assert sorted(engine) == [(b"caving", "bodyweight"), (b"good", "bodyweight"), (b"side", "bodyweight")]
    page = text(at)
    assert "Heels-raised test: Ankle mobility probably contributes" in page
    assert "heels <b>raised</b>.mp4" in page  # the user's file name, as typed (escaped, not HTML)
    assert "8.5 cm on the left: below the cut-off" in page
    assert "Certification convention (NASM), not a diagnosis" in page  # the muscle lists, labelled
    assert "Re-test on 2027-01-04" in page
    assert "Static calf stretch" in page and "**Evidence:** moderate (moderate research evidence)" in "\n".join(
        m.value for m in at.markdown).replace("\\", "")
    assert "Sources:" in page and "Bell et al. 2008" in page
    assert "mini-band around the knees is not a fix" in page
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download the trainer's report (PDF)", "Download the client's handout (PDF)"]
    assert "Choose a client at the top of the page to save this screening" in page  # no client: no save

    # pain changes the result at once: see a clinician, and no plan
    at.radio(key="scr_0_pain").set_value("Yes")
    run(at)
    at.text_input(key="scr_0_pain_where").input("front of the left knee")
    run(at)
    page = text(at)
    assert "Pain: see a clinician. Pain reported (front of the left knee)" in page
    assert "Pain was reported: see a clinician first. No exercise plan is given." in page
    assert "Static calf stretch" not in page and "Chosen because" not in page


def test_an_unreadable_clip_is_said_in_words_and_the_step_counts_as_not_analysed(db, engine):
    at = screening_page()
    upload(at, "front", b"not a video at all", name="holiday.mp4")
    run(at)
    analyse(at)
    page = text(at)
    assert "Step 1 · Squat from the front: Could not read holiday.mp4: not a video." in page
    assert "/tmp" not in page and "screening_" not in page  # no server path, no temp file name
    assert "Knees caving in (front squat): The front squat was skipped" in page


def test_saving_needs_a_live_session_and_a_rescreen_is_compared_with_the_last_one(db, engine, monkeypatch):
    monkeypatch.setenv("SQUATCHECK_IDLE_MINUTES", "1")
    at = screening_page()
    pick_client(at, db)
    upload(at, "front", b"caving")
    upload(at, "heels_raised", b"good")
    fill_by_hand(at, date.today() - timedelta(days=28))
    run(at)
    analyse(at)
    assert "No saved screenings yet." in text(at)

    # idle past the timeout, then "Save": refused inside the callback, before the store is touched
    at.session_state[auth.SEEN_KEY] = time.time() - 61
    button(at, "Save to Tina Tomsclient's history").click()
    run(at)
    assert "Signed in as" not in text(at) and "signed out" in text(at).lower()
    with Store.open(db) as s:
        assert s.list_screenings(s.find_client("Tina Tomsclient").id) == []

    at = screening_page()  # signed in again: the analyses are cached per clip, the widgets start afresh
    pick_client(at, db)
    upload(at, "front", b"caving")
    upload(at, "heels_raised", b"good")
    fill_by_hand(at, date.today() - timedelta(days=28))
    run(at)
    analyse(at)
    at.text_area(key="scr_0_notes").input("First screen *before* the block")
    run(at)
    button(at, "Save to Tina Tomsclient's history").click()
    run(at)
    page = text(at)
    assert "Saved as screening #1 for Tina Tomsclient." in page
    with Store.open(db) as s:
        [saved] = s.list_screenings(s.find_client("Tina Tomsclient").id)
    assert saved.branch == "ankle" and saved.notes == "First screen *before* the block" and not saved.referral
    assert "First screen *before* the block" in page  # in the history table, as typed
    assert "Compared with the last screening" not in page  # the first one has nothing to compare with

    # a re-screen four weeks later: the same caving clip as both squats -> hip and trunk control
    button(at, "Start a new screening (a re-screen)").click()
    run(at)
    assert at.radio(key="scr_1_pain").value is None  # a new screening starts empty
    upload(at, "front", b"caving", nonce=1)
    upload(at, "heels_raised", b"caving", nonce=1)
    at.number_input(key="scr_1_ktw_left").set_value(9.0)
    at.number_input(key="scr_1_ktw_right").set_value(11.0)
    at.radio(key="scr_1_pain").set_value("No")
    run(at)
    calls = len(engine)
    analyse(at)
    assert len(engine) == calls  # both clips were analysed before (the same bytes, the same profile)
    page = text(at)
    assert "Heels-raised test: Hip and trunk control" in page
    assert f"Compared with the last screening ({(date.today() - timedelta(days=28)).isoformat()})" in page
    comparison = next(t for t in tables(at) if "Verdict" in t.columns)
    rows = {r["Measure"]: r for _, r in comparison.iterrows()}
    assert rows["Knee-to-wall, left"]["Verdict"] == "not meaningful (within measurement error)"  # +0.5 cm
    assert rows["Knee-to-wall, left"]["Change"] == "+0.5"
    assert rows["Left knee inside its foot line (front squat)"]["Verdict"] == "not meaningful (within measurement error)"
    categories = next(t for t in tables(at) if "Note" in t.columns)
    assert list(categories.iloc[0][["Previous", "Now"]]) == ["Ankle mobility probably contributes",
                                                             "Hip and trunk control"]
    button(at, "Save to Tina Tomsclient's history").click()
    run(at)
    assert "Saved as screening #2 for Tina Tomsclient." in text(at)
    with Store.open(db) as s:
        first, second = s.list_screenings(s.find_client("Tina Tomsclient").id)
    assert (first.branch, second.branch) == ("ankle", "hip_control")
    assert second.result["comparison"]["previous_date"] == first.result["screened_on"]
    trend = next(t for t in tables(at) if "Heels-raised test" in t.columns and "Plan" in t.columns)
    assert list(trend["Heels-raised test"]) == ["ankle", "hip control"]  # oldest first


def test_another_trainers_client_is_not_offered(db, engine):
    with Store.open(db) as s:
        zoe = accounts.add_user(s, "Zoe", "trainer", PASSWORD)
        s.for_user(zoe).create_client("Zack Zoesclient")
    at = screening_page()
    assert at.selectbox(key="scr_client").options == ["Tina Tomsclient"]


# --------------------------------------------------------------------------- the upload guard's count


class _Mgr:
    """The parts of Streamlit's MemoryUploadedFileManager the guard touches."""

    def __init__(self):
        self.file_storage: dict[str, dict[str, object]] = {}

    def add_file(self, session_id, file):
        self.file_storage.setdefault(session_id, {})[file.file_id] = file

    def remove_file(self, session_id, file_id):
        self.file_storage.get(session_id, {}).pop(file_id, None)

    def remove_session_files(self, session_id):
        self.file_storage.pop(session_id, None)


def _put(mgr, sid, file_id):
    mgr.add_file(sid, SimpleNamespace(file_id=file_id))


def test_the_upload_guard_keeps_one_file_or_the_pages_count_and_refuses_sessions_without_a_permit(monkeypatch):
    mgr = _Mgr()
    upload_guard._wrap_add_file(mgr)
    sid = "session-under-test"
    monkeypatch.setattr(upload_guard, "_session_id", lambda: sid)
    monkeypatch.setattr(upload_guard, "_permits", {})

    refusal = type(upload_guard._http_error(403, "Sign in to upload."))  # starlette's HTTPException
    with pytest.raises(refusal) as refused:
        _put(mgr, sid, "a")
    assert refused.value.status_code == 403 and mgr.file_storage.get(sid, {}) == {}

    upload_guard.allow(None)  # the analyse page: one file
    for f in ("a", "b"):
        _put(mgr, sid, f)
    assert list(mgr.file_storage[sid]) == ["b"]

    upload_guard.allow(None, max_files=5)  # the screening page: one per step
    for f in ("c", "d", "e", "f", "g"):
        _put(mgr, sid, f)
    assert list(mgr.file_storage[sid]) == ["c", "d", "e", "f", "g"]
    _put(mgr, sid, "h")  # a sixth: the oldest goes
    assert list(mgr.file_storage[sid]) == ["d", "e", "f", "g", "h"]

    upload_guard.allow(None, max_files=50)  # never more than the cap
    assert upload_guard.files_allowed(sid) == upload_guard.MAX_FILES_CAP == 5
    upload_guard.allow(None, max_files=1)  # back on the analyse page: the next upload leaves one file
    _put(mgr, sid, "i")
    assert list(mgr.file_storage[sid]) == ["i"]

    upload_guard.allow(0.0, max_files=5)  # a permit that has ended refuses, and drops what the session held
    time.sleep(0.01)
    with pytest.raises(refusal):
        _put(mgr, sid, "j")
    assert mgr.file_storage.get(sid, {}) == {}


def test_the_clients_page_opens_a_screening_for_its_client(db, engine):
    """A trainer looking at a client on the Clients page sees how many screenings they have and
    opens the Screening page with that client chosen."""
    from ui import screening_page as page

    at = screening_page()
    at.switch_page("ui/clients_page.py")
    run(at)
    assert "No guided screening yet." in text(at)
    next(b for b in at.button if b.label == "Screen this client").click()
    run(at)
    assert [t.value for t in at.title] == ["Guided screening"]
    assert at.selectbox(key=page.CLIENT_KEY).value is not None
    assert "Tina Tomsclient" in str(at.selectbox(key=page.CLIENT_KEY).format_func(at.selectbox(key=page.CLIENT_KEY).value))
