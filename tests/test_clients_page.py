"""The Clients page (ui/clients_page.py) and the save-to-client form, driven through
Streamlit's AppTest against a real SQLite file (``SQUATCHECK_DB_URL`` -> tmp_path)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pypdf
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from ui.clients_presenters import md_text

from ui import clients_page
from trainer.session_compare import NOT_MEANINGFUL
from trainer.store import ENV_DB_URL, Store

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "ui" / "clients_page.py"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)
TIMEOUT = 60


# --------------------------------------------------------------------------- helpers


def make_rep(index, flags=(), *, fppa_l=10.0, fppa_r=8.0, kasr=0.8, depth=0.05, asym=3.0):
    """One ``reps[]`` entry following the analysis JSON contract (vision.assess)."""
    return {
        "index": index, "start_s": 2.0 * index, "bottom_s": 2.0 * index + 0.8,
        "end_s": 2.0 * index + 1.7, "flags": list(flags),
        "metrics": {
            "knee_flexion_deg": 115.0, "depth_ratio": depth, "kasr_min": kasr, "khr_min": 0.9,
            "fppa_left_deg": fppa_l, "fppa_right_deg": fppa_r, "valgus_left": 0.05,
            "valgus_right": 0.04, "trunk_lean_deg": None, "heel_rise": None,
            "lateral_shift": 0.02, "asymmetry_deg": asym, "descent_s": 0.8, "pause_s": 0.1,
            "ascent_s": 0.9,
        },
        "confidence": 0.85, "view": "front", "severity": "major" if flags else "ok",
        "cues": ["Push your knees out over your toes."] if flags else ["Good rep."],
    }


def make_analysis(reps, *, view="front", file="clip.mp4"):
    """A whole analysis result dict (vision.analysis.analyze_track's contract)."""
    return {
        "schema_version": "1.0",
        "engine": {"name": "squatcheck", "version": "test"},
        "source": {"file": file},
        "video": {"fps": 30.0, "frames": 300, "duration_s": 10.0, "width": 720, "height": 1280},
        "view": view, "view_confidence": 0.9, "profile": "bodyweight", "mirrored": False,
        "quality": {"score": 0.9, "notes": ["Whole body in frame."]},
        "reps": reps, "rejected_dips": [],
        "summary": {
            "rep_count": len(reps),
            "valgus_reps": sum("knee_valgus" in r["flags"] for r in reps),
            "shallow_reps": sum("shallow" in r["flags"] for r in reps),
            "flagged_reps": sum(bool(r["flags"]) for r in reps),
            "worst_rep": next((r["index"] for r in reps if r["flags"]), None),
            "main_cue": "Push your knees out over your toes.",
        },
        "problems": [], "thresholds": {},
        "disclaimer": "Screening aid, not a diagnosis.",
    }


def week1():
    return make_analysis([make_rep(i, ["knee_valgus"] if i == 1 else []) for i in range(1, 5)])


def week2():  # a small change on every measure: all within measurement error
    return make_analysis([make_rep(i, ["knee_valgus"] if i == 1 else [], fppa_l=12.0, kasr=0.75,
                                   depth=0.1, asym=4.0) for i in range(1, 5)], file="week2.mp4")


def frame():
    f = np.zeros((240, 180, 3), np.uint8)
    f[:, :90] = (200, 30, 30)
    f[:, 90:] = (30, 30, 200)
    return f


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'data' / 'squatcheck.db'}"
    monkeypatch.setenv(ENV_DB_URL, url)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield url
    st.cache_resource.clear()  # closes the page's Store (on_release)
    st.cache_data.clear()


@pytest.fixture
def store(db_url: str):
    s = Store.open(db_url)
    yield s
    s.close()


def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    return run(at)


def run(target) -> AppTest:
    """Run the app (``target``: the AppTest, or a widget just changed / clicked)."""
    at = target.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def table(at: AppTest, column: str):
    """The (only) st.dataframe / st.table that has ``column``, as a pandas DataFrame."""
    (df,) = [d.value for d in [*at.dataframe, *at.table] if column in d.value.columns]
    return df


def pick_client(at: AppTest, client_id: int) -> AppTest:
    return run(at.selectbox(key="clients_pick").set_value(client_id))


# --------------------------------------------------------------------------- clients


def test_empty_page_shows_storage_location_and_add_form(db_url: str, tmp_path: Path):
    at = page()
    assert texts(at, "title") == ["Clients"]
    captions = " ".join(texts(at, "caption"))
    assert "Stored only on this computer" in captions
    assert str(tmp_path / "data" / "squatcheck.db") in captions
    assert any("No clients yet" in t for t in texts(at, "info"))
    assert at.button(key="clients_create")


def test_create_client_through_the_ui(db_url: str, store: Store):
    at = page()
    at.text_input(key="clients_new_name").input("  Anna   Smith ")
    at.text_area(key="clients_new_notes").input("left knee")
    run(at.button(key="clients_create").click())
    assert "Added Anna Smith." in texts(at, "success")
    (c,) = store.list_clients()
    assert (c.name, c.notes) == ("Anna Smith", "left knee")
    picker = at.selectbox(key="clients_pick")
    assert picker.value == c.id
    assert picker.options == ["Anna Smith (no sessions yet)"]
    assert "Anna Smith" in texts(at, "header")
    assert at.text_input(key="clients_new_name").value == ""  # form cleared for the next one

    # empty and duplicate names: plain-words errors, nothing added
    at = run(at.button(key="clients_create").click())
    assert texts(at, "error") == ["A client name cannot be empty."]
    at.text_input(key="clients_new_name").input("anna smith")
    at = run(at.button(key="clients_create").click())
    assert texts(at, "error") == ["A client called 'anna smith' already exists."]
    assert len(store.list_clients()) == 1
    at = run(at)  # messages are shown once
    assert texts(at, "error") == []


def test_search_filters_the_client_list(db_url: str, store: Store):
    for name in ("Anna Smith", "Bob Jones", "Joanna Lee"):
        store.create_client(name)
    at = page()
    assert len(at.selectbox(key="clients_pick").options) == 3
    run(at.text_input(key="clients_search").input("ann"))
    picker = at.selectbox(key="clients_pick")
    assert picker.options == ["Anna Smith (no sessions yet)", "Joanna Lee (no sessions yet)"]
    run(at.text_input(key="clients_search").input("nobody"))
    assert any("No client name contains" in t for t in texts(at, "info"))


def test_rename_client(db_url: str, store: Store):
    c = store.create_client("Anna Smith")
    at = page()
    at.text_input(key=f"clients_rename_{c.id}").input("Anna Smith-Jones")
    run(at.button(key=f"clients_rename_btn_{c.id}").click())
    assert "Renamed to Anna Smith-Jones." in texts(at, "success")
    assert store.get_client(c.id).name == "Anna Smith-Jones"
    assert at.selectbox(key="clients_pick").options == ["Anna Smith-Jones (no sessions yet)"]

    store.create_client("Bob")
    at.text_input(key=f"clients_rename_{c.id}").input("bob")
    run(at.button(key=f"clients_rename_btn_{c.id}").click())
    assert any("already exists" in e for e in texts(at, "error"))
    assert store.get_client(c.id).name == "Anna Smith-Jones"


def test_delete_client_needs_confirmation(db_url: str, store: Store):
    keep = store.create_client("Bob")
    c = store.create_client("Anna Smith")
    store.save_session(c.id, week1(), recorded_at=T0, worst_frame_rgb=frame())
    at = page()
    pick_client(at, c.id)
    # no confirmation: nothing deleted
    run(at.button(key=f"clients_del_{c.id}").click())
    assert any("Nothing was deleted" in e for e in texts(at, "error"))
    assert [x.name for x in store.list_clients()] == ["Anna Smith", "Bob"]
    # wrong name: still nothing deleted
    at.text_input(key=f"clients_del_confirm_{c.id}").input("Bob")
    run(at.button(key=f"clients_del_{c.id}").click())
    assert any("Nothing was deleted" in e for e in texts(at, "error"))
    assert len(store.list_sessions(c.id)) == 1
    # the right name (case/spacing ignored): client and sessions erased
    at.text_input(key=f"clients_del_confirm_{c.id}").input("anna  smith")
    run(at.button(key=f"clients_del_{c.id}").click())
    assert "Deleted Anna Smith and all their data." in texts(at, "success")
    assert [x.id for x in store.list_clients()] == [keep.id]
    assert at.selectbox(key="clients_pick").value == keep.id


# --------------------------------------------------------------------------- sessions


@pytest.fixture
def two_sessions(store: Store):
    c = store.create_client("Anna Smith")
    s1 = store.save_session(c.id, week1(), recorded_at=T0, notes="first visit")
    s2 = store.save_session(c.id, week2(), recorded_at=T0 + timedelta(days=7), notes="week 2",
                            worst_frame_rgb=frame())
    return c, s1, s2


def test_history_comparison_and_downloads(db_url: str, store: Store, two_sessions):
    c, s1, s2 = two_sessions
    at = page()
    assert at.selectbox(key="clients_pick").value == c.id

    history = table(at, "Shallow reps")
    assert list(history.columns) == ["Session", "Date", "View", "Reps", "Valgus reps",
                                     "Shallow reps", "KASR mean", "Asymmetry", "Notes"]
    assert history["Session"].tolist() == [s2.id, s1.id]  # newest first
    assert history["Notes"].tolist() == ["week 2", "first visit"]
    assert history["Reps"].tolist() == [4, 4]
    assert history["Valgus reps"].tolist() == ["1", "1"]
    assert history["KASR mean"].tolist() == ["0.75", "0.80"]
    assert history["Asymmetry"].tolist() == ["4.0°", "3.0°"]

    # the trend chart and its measurement-error note
    assert any("not meaningful" in t and "9°" in t for t in texts(at, "caption"))

    # comparison: defaults to the two latest sessions, every change within error
    assert at.selectbox(key=f"clients_cmp_a_{c.id}").value == s1.id
    assert at.selectbox(key=f"clients_cmp_b_{c.id}").value == s2.id
    changes = table(at, "Verdict")
    assert set(changes["Verdict"]) == {NOT_MEANINGFUL}
    row = changes.set_index("Measure").loc["Left knee FPPA (mean)"]
    assert (row["Earlier"], row["Later"], row["Change"]) == ("10.0°", "12.0°", "+2.0°")
    tiles = [m for m in texts(at, "markdown") if m.startswith("Reps: **4**")]
    assert len(tiles) == 2 and all("Reps with knee valgus: **1 of 4 (25%)**" in t for t in tiles)
    # same session twice: asked to pick two
    run(at.selectbox(key=f"clients_cmp_a_{c.id}").set_value(s2.id))
    assert "Pick two different sessions." in texts(at, "info")

    # per-session downloads for the selected (latest) session
    assert at.selectbox(key=f"clients_session_pick_{c.id}").value == s2.id
    labels = {b.key: b.label for b in at.download_button}
    assert labels[f"clients_pdf_{s2.id}"] == "Download PDF report"
    assert labels[f"clients_json_{s2.id}"] == "Download data (JSON)"
    # the stored worst-frame thumbnail is shown inline (a data: URI), not from a /media/ URL (issue 23 #4)
    assert not at.image
    pictures = [h.proto.body for h in at.get("html") if "data:image/jpeg;base64," in h.proto.body]
    assert len(pictures) == 1 and "/media/" not in pictures[0]
    assert not texts(at, "error")


def test_session_pdf_has_client_name_previous_session_and_picture(store: Store, two_sessions):
    c, s1, s2 = two_sessions
    data = clients_page.session_pdf(store, s2.id)
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert "Anna Smith" in text
    assert "Change since the previous session" in text and "Previous session:" in text
    assert "week 2" in text  # session notes
    assert sum(len(p.images) for p in reader.pages) == 1  # stored thumbnail, no video needed
    first = " ".join((p.extract_text() or "") for p in pypdf.PdfReader(
        io.BytesIO(clients_page.session_pdf(store, s1.id, client_name="A. S."))).pages)
    assert "A. S." in first and "No previous session" in " ".join(first.split())


def test_edit_notes_and_delete_session(db_url: str, store: Store, two_sessions):
    c, s1, s2 = two_sessions
    at = page()
    at.text_area(key=f"clients_snotes_{s2.id}").input("knees better on the way up")
    run(at.button(key=f"clients_snotes_save_{s2.id}").click())
    assert "Session notes saved." in texts(at, "success")
    assert store.get_session(s2.id).notes == "knees better on the way up"
    assert table(at, "Shallow reps")["Notes"].tolist()[0] == (
        "knees better on the way up")

    run(at.button(key=f"clients_sdel_{s2.id}").click())  # not confirmed
    assert any("Nothing was deleted" in e for e in texts(at, "error"))
    assert len(store.list_sessions(c.id)) == 2
    at.checkbox(key=f"clients_sdel_ok_{s2.id}").check()
    run(at.button(key=f"clients_sdel_{s2.id}").click())
    assert f"Deleted session #{s2.id}." in texts(at, "success")
    assert [s.id for s in store.list_sessions(c.id)] == [s1.id]
    assert table(at, "Shallow reps")["Session"].tolist() == [s1.id]
    assert any("at least two sessions" in t for t in texts(at, "info"))


def test_export_all_client_data(db_url: str, store: Store, two_sessions):
    c, s1, s2 = two_sessions
    at = page()
    assert f"clients_export_dl_{c.id}" not in {b.key for b in at.download_button}
    run(at.button(key=f"clients_export_{c.id}").click())
    assert f"clients_export_dl_{c.id}" in {b.key for b in at.download_button}
    client_id, data, file_name = at.session_state["clients_export"]
    assert client_id == c.id and file_name.startswith("squatcheck-export_Anna-Smith_")
    export = json.loads(data)
    assert export["format"] == "squatcheck-client-export"
    assert export["client"]["name"] == "Anna Smith"
    assert [s["id"] for s in export["sessions"]] == [s1.id, s2.id]
    assert any("Nothing on this page is uploaded" in t for t in texts(at, "markdown"))


def test_store_errors_are_shown_in_plain_words(tmp_path: Path, monkeypatch):
    bad = tmp_path / "not_a_db.db"
    bad.write_bytes(b"this is a text file, not SQLite " * 200)
    monkeypatch.setenv(ENV_DB_URL, f"sqlite:///{bad}")
    st.cache_resource.clear()
    try:
        at = page()
        (err,) = texts(at, "error")
        assert "client database" in err and "Traceback" not in err
    finally:
        st.cache_resource.clear()


# --------------------------------------------------------------------------- save form


def _save_form_app(root: str, result_json: str, video_path, with_frame: bool):
    import json as _json
    import sys as _sys

    import numpy as _np

    _sys.path.insert(0, root)
    from ui.clients_page import render_save_to_client

    img = None
    if with_frame:
        img = _np.zeros((240, 180, 3), _np.uint8)
        img[:, :90] = (200, 30, 30)
    render_save_to_client(_json.loads(result_json), video_path, img)


def save_form(result: dict, video_path=None, with_frame=True) -> AppTest:
    at = AppTest.from_function(_save_form_app, default_timeout=TIMEOUT,
                               args=(str(ROOT), json.dumps(result), video_path, with_frame))
    return run(at)


def test_save_to_new_client(db_url: str, store: Store, tmp_path: Path):
    video = tmp_path / "in" / "anna.mp4"
    video.parent.mkdir()
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42 fake video")
    at = save_form(week1(), str(video))
    assert at.checkbox(key="save_to_client_keep").value is False  # default: video not kept
    run(at.button(key="save_to_client_button").click())  # no client chosen
    assert texts(at, "error") == ["Choose a client, or “+ New client” to add one."]
    assert store.list_clients() == []

    run(at.selectbox(key="save_to_client_client").select("__new_client__"))
    at.text_input(key="save_to_client_new_name").input("Anna Smith")
    at.text_area(key="save_to_client_notes").input("first screening")
    run(at.button(key="save_to_client_button").click())
    (c,) = store.list_clients()
    (s,) = store.list_sessions(c.id)
    assert texts(at, "success") == [f"Saved as session #{s.id} for Anna Smith."]
    assert s.notes == "first screening" and s.analysis == week1()
    assert s.video_path is None and not any(store.media_dir.rglob("*.mp4"))
    assert s.has_worst_frame and s.worst_frame_rgb().shape == (240, 180, 3)
    assert s.recorded_at.astimezone().date() == datetime.now().date()
    assert video.is_file()
    # a rerun does not save twice
    run(at)
    assert len(store.list_sessions(c.id)) == 1
    assert texts(at, "success") == [f"Saved as session #{s.id} for Anna Smith."]


def test_save_to_existing_client_keeping_the_video(db_url: str, store: Store, tmp_path: Path):
    c = store.create_client("Anna Smith")
    store.create_client("Bob")
    video = tmp_path / "anna.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42 fake video")
    at = save_form(week2(), str(video), with_frame=False)
    assert at.selectbox(key="save_to_client_client").options == [
        "+ New client", "Anna Smith", "Bob"]
    at.selectbox(key="save_to_client_client").select(c.id)
    at.checkbox(key="save_to_client_keep").check()
    run(at.button(key="save_to_client_button").click())
    (s,) = store.list_sessions(c.id)
    assert texts(at, "success") == [
        f"Saved as session #{s.id} for Anna Smith. The video was kept on this computer."]
    assert s.video_path is not None and s.video_path.read_bytes() == video.read_bytes()
    assert not s.has_worst_frame


def test_save_errors_are_plain(db_url: str, store: Store):
    store.create_client("Anna Smith")
    at = save_form(week1(), None)
    assert at.checkbox(key="save_to_client_keep").disabled  # nothing to keep
    run(at.selectbox(key="save_to_client_client").select("__new_client__"))
    run(at.button(key="save_to_client_button").click())
    assert texts(at, "error") == ["Type the new client's name."]
    at.text_input(key="save_to_client_new_name").input("anna SMITH")
    run(at.button(key="save_to_client_button").click())
    (err,) = texts(at, "error")
    assert "already exists" in err
    (c,) = store.list_clients()
    assert store.list_sessions(c.id) == []


MARKDOWN_NAME = "![t](http://HOST/x.png) <b>Bo</b>"
MARKDOWN_NOTE = "[click](http://evil.example) <img src=x>"


def _markdown_texts(at: AppTest) -> list[str]:
    """Everything on the page that Streamlit reads as Markdown: texts, alerts and widget labels."""
    out = []
    for kind in ("markdown", "caption", "header", "subheader", "title", "success", "error", "info", "warning"):
        out += [str(e.value) for e in getattr(at, kind)]
    for kind in ("button", "text_input", "text_area", "checkbox", "selectbox"):
        out += [str(w.label) for w in getattr(at, kind)]
    return out


def test_names_and_notes_are_shown_as_plain_text(db_url: str, store: Store):
    """A client named like a Markdown image (a tracking pixel in the admin's browser) and notes with
    links and HTML are shown as typed: escaped wherever Streamlit reads Markdown, plain text else."""
    at = page()
    at.text_input(key="clients_new_name").input(MARKDOWN_NAME)
    at.text_area(key="clients_new_notes").input(MARKDOWN_NOTE)
    at = run(at.button(key="clients_create").click())
    (c,) = store.list_clients()
    assert c.name == MARKDOWN_NAME
    store.save_session(c.id, week1(), recorded_at=T0, notes=MARKDOWN_NOTE)
    at = run(at)
    for tab_trigger in (lambda a: a, lambda a: a.button(key=f"clients_export_{c.id}").click()):
        at = run(tab_trigger(at))
        md = _markdown_texts(at)
        assert md, "no text found"
        for text in md:
            for raw in ("![t](", "](http", "<b>", "<img", "http://"):
                assert raw not in text, (raw, text)
        assert any(md_text(MARKDOWN_NAME) in t for t in md)  # the name is there, escaped
        assert MARKDOWN_NOTE in [t.value for t in at.text]  # the client notes: plain st.text


def test_history_table_csv_download_does_not_run_formulas(db_url: str, store: Store):
    """The History table is what its "Download as CSV" writes: a note that is a formula is quoted."""
    c = store.create_client("Anna Smith")
    store.save_session(c.id, week1(), recorded_at=T0, notes='=HYPERLINK("http://HOST","click")')
    store.save_session(c.id, week2(), recorded_at=T0 + timedelta(days=7), notes="-2+3")
    at = page()
    notes = list(table(at, "Notes")["Notes"])
    assert notes == ["'-2+3", '\'=HYPERLINK("http://HOST","click")']
