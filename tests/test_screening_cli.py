"""``python -m vision screen`` on the shared labelled clips, and its input errors (one line, exit 2, no traceback).

The caving clip is ``front_bodyweight_valgus_office_01.mp4`` (labelled caving at every bottom; the engine
reads all 4 reps ``clear``); the good clip, given as the heels-raised step, is the same man in the same room
with his knees over his feet (``front_bodyweight_good_office_01.mp4``, 5 reps ``none``).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from conftest import REPO, shared_clip

CAVING = "front_bodyweight_valgus_office_01.mp4"
GOOD = "front_bodyweight_good_office_01.mp4"
SIDE = "side_bodyweight_fullsquat_01.mp4"


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "vision", "screen", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=600)


def pdf_text(path) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


@pytest.mark.videos
def test_screen_on_shared_clips_ankle_then_hip_control_and_the_rescreen_comparison(tmp_path):
    caving, good, side = shared_clip(CAVING), shared_clip(GOOD), shared_clip(SIDE)
    db = f"sqlite:///{tmp_path / 'clients.db'}"
    out = run_cli("--front", caving, "--side", side, "--heels-raised", good, "--knee-to-wall-cm", "8.5,11",
                  "--pain", "no", "--date", "2026-12-07", "--json", tmp_path / "a.json", "--pdf", tmp_path / "a.pdf",
                  "--client", "Test Client", "--db", db)
    assert out.returncode == 0, out.stderr
    a = json.loads((tmp_path / "a.json").read_text())
    assert a["branch"]["branch"] == "ankle", a["branch"]["reasons"]
    assert a["retest_on"] == "2027-01-04"
    by = {f["id"]: f for f in a["findings"]}
    assert by["knees_front"]["status"] == "fault" and by["knees_front"]["numbers"]["clear"] == 4
    assert by["knee_to_wall_left"]["status"] == "fault" and by["knee_to_wall_right"]["status"] == "ok"
    assert by["forward_lean"]["status"] in ("ok", "possible", "fault")  # judged from the side clip
    assert [s["status"] for s in a["steps"]] == ["analysed", "analysed", "analysed", "skipped", "skipped"]
    items = a["plan"]["items"]
    assert items and all(i["grade"] and i["for_findings"] and i["sources"] for i in items)
    assert "calf_stretch" in {i["id"] for i in items}
    assert "comparison" not in a and a["saved"]["client"] == "Test Client"

    text = " ".join(pdf_text(tmp_path / "a.pdf").split())
    assert "Heels-raised test: Ankle mobility probably contributes" in text
    assert "Knees caving in (front squat)" in text and "Re-test on 2027-01-04" in text
    for item in items:
        assert f"[evidence: {item['grade']}]" in text
    assert "Your squat check" in text and "Next check: 2027-01-04" in text
    assert "mini-band around the knees is not a fix" in text

    # the same caving clip given twice: still clearly caving with the "heels raised" -> hip and trunk control;
    # saved for the same client four weeks later, it is compared with the first screening
    out = run_cli("--front", caving, "--heels-raised", caving, "--knee-to-wall-cm", "9,11", "--pain", "no",
                  "--date", "2027-01-04", "--json", tmp_path / "b.json", "--client", "Test Client", "--db", db,
                  "--quiet")
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    b = json.loads((tmp_path / "b.json").read_text())
    assert b["branch"]["branch"] == "hip_control", b["branch"]["reasons"]
    assert {m["reading"] for m in b["branch"]["measures"]} == {"within error"}
    entries = {e["key"]: e for e in b["comparison"]["entries"]}
    assert entries["knee_to_wall_left_cm"]["verdict"] == "not meaningful (within measurement error)"  # +0.5 cm
    assert entries["front_foot_line_left"]["verdict"] == "not meaningful (within measurement error)"  # same clip
    assert b["comparison"]["previous_date"] == "2026-12-07"

    from trainer.store import Store

    with Store.open(db) as store:
        client = store.find_client("Test Client")
        assert [s.branch for s in store.list_screenings(client.id)] == ["ankle", "hip_control"]


def test_screen_input_errors_are_one_line(tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not a video")
    cases = [
        (("--front", tmp_path / "missing.mp4"), "--front"),
        (("--front", clip, "--knee-to-wall-cm", "nine,10"), "not a number"),
        (("--front", clip, "--knee-to-wall-cm", "9"), "LEFT,RIGHT"),
        (("--front", clip, "--knee-to-wall-cm", "90,10"), "outside"),
        (("--front", clip, "--pain-where", "knee"), "--pain-where goes with --pain yes"),
        (("--front", clip, "--db", "sqlite:///x.db"), "--db goes with --client"),
        (("--date", "07/12/2026", "--pain", "no"), "YYYY-MM-DD"),
        ((), "nothing to screen"),
        (("--front", clip), "clip.mp4"),  # not a video: the analysis says so
    ]
    for args, words in cases:
        out = run_cli(*args, "--json", tmp_path / "out.json")
        assert out.returncode == 2, (args, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert lines[-1].startswith("error:") and words in lines[-1], (args, out.stderr)
        assert "Traceback" not in out.stderr
    out = run_cli("--pain", "no", "--json", tmp_path)
    assert out.returncode == 2 and "names a folder" in out.stderr
    assert not (tmp_path / "out.json").exists()


def test_hand_entries_only_give_a_screening_without_clips(tmp_path):
    out = run_cli("--knee-to-wall-cm", ",8", "--pain", "yes", "--pain-where", "right knee", "--date", "2026-12-07",
                  "--json", tmp_path / "h.json", "--pdf", tmp_path / "h.pdf", "--quiet")
    assert out.returncode == 0, out.stderr
    s = json.loads((tmp_path / "h.json").read_text())
    assert s["referral"]["refer"] and s["plan"]["items"] == []
    assert {f["id"]: f["status"] for f in s["findings"]}["knee_to_wall_right"] == "fault"
    text = " ".join(pdf_text(tmp_path / "h.pdf").split())
    assert "Please see a clinician first" in text and "right knee" in text
