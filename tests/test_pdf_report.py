"""PDF screening report (trainer.pdf_report): text content via pypdf, pixels via pypdfium2.

Set SQUATCHECK_REPORT_PNG_DIR=/some/dir to also keep the rendered pages for a visual check.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pypdf
import pypdfium2 as pdfium
import pytest

from trainer import pdf_report as report_pdf
from trainer.pdf_report import DISCLAIMER_FOOTER, NA_VIEW, render_session_pdf

WHEN = datetime(2024, 3, 1, 10, 0, tzinfo=timezone.utc)


def make_rep(index, flags=(), *, fppa_l=10.0, fppa_r=8.0, kasr=0.8, depth=0.05, asym=3.0,
             confidence=0.85, cue=None):
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
        "confidence": confidence,
        "cues": [cue] if cue else [],
    }


def make_analysis(reps, *, view="front", problems=()):
    return {
        "schema_version": "1.0",
        "source": {"file": "clip_monday.mp4"},
        "video": {"fps": 30.0, "frames": 300, "duration_s": 10.0, "width": 720, "height": 1280},
        "view": view,
        "profile": "bodyweight",
        "quality": {"score": 0.9, "notes": ["Whole body in frame."]},
        "reps": reps,
        "summary": {
            "rep_count": len(reps),
            "valgus_reps": sum("knee_valgus" in r["flags"] for r in reps),
            "shallow_reps": sum("shallow" in r["flags"] for r in reps),
            "worst_rep": reps[0]["index"] if reps else None,
            "main_cue": "Push your knees out over your toes ≥ every rep.",
        },
        "problems": list(problems),
        "disclaimer": "Screening aid, not a diagnosis. See a physiotherapist about pain.",
    }


def several_reps():
    return [
        make_rep(1, ["knee_valgus", "shallow"], fppa_l=22.0, fppa_r=9.0, kasr=0.6, depth=-0.1,
                 cue="Push your knees out over your toes on the way up."),
        make_rep(2, [], fppa_l=7.0, fppa_r=6.0),
        make_rep(3, ["forward_lean", "heel_rise"], confidence=0.5, cue="Keep your heels down."),
        make_rep(4, ["knee_valgus"], fppa_l=15.0, fppa_r=14.0, confidence=0.3,
                 cue="Knees out – slow down."),
    ]


def skeleton_frame(h=640, w=360):
    """A stand-in for the engine's frame with the skeleton drawn: pure red joints."""
    img = np.full((h, w, 3), 30, np.uint8)
    img[h // 4: h // 4 + 60, w // 2 - 30: w // 2 + 30] = (255, 0, 0)  # RGB red block
    img[h // 2:, w // 2 - 4: w // 2 + 4] = (0, 200, 0)
    return img


def pdf_text(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [" ".join((p.extract_text() or "").split()) for p in reader.pages]


def render_png(data: bytes, page: int, out: Path, scale: float = 1.5) -> np.ndarray:
    doc = pdfium.PdfDocument(data)
    img = doc[page].render(scale=scale).to_pil().convert("RGB")
    img.save(out)
    keep = os.environ.get("SQUATCHECK_REPORT_PNG_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(out, Path(keep) / out.name)
    doc.close()
    return np.asarray(img)


def colour_share(pixels: np.ndarray, rgb, tol=6) -> float:
    return float(np.all(np.abs(pixels.astype(int) - np.array(rgb)) <= tol, axis=2).mean())


# --------------------------------------------------------------------------- tests


def test_full_report(tmp_path: Path):
    prev = make_analysis([make_rep(1, ["knee_valgus"], fppa_l=35.0, fppa_r=12.0),
                          make_rep(2, ["knee_valgus"], fppa_l=33.0, fppa_r=10.0)])
    data = render_session_pdf(
        make_analysis(several_reps(), problems=[{"code": "dim", "message": "The room is dark."}]),
        client_name="Anna Smith",
        recorded_at=WHEN,
        previous=prev,
        previous_recorded_at=datetime(2024, 2, 1, 10, 0, tzinfo=timezone.utc),
        worst_frame_rgb=skeleton_frame(),
        notes="Left knee caves on the way up.",
    )
    assert data.startswith(b"%PDF-")
    pages = pdf_text(data)
    text = " ".join(pages)
    for needle in ("Squat screening report", "Anna Smith", "clip_monday.mp4", "2024-03-01",
                   "Whole body in frame.", "The room is dark.", "Reps detected 4",
                   "2 of 4 reps", "Left knee caves on the way up.",
                   "See a physiotherapist about pain.", "Worst rep (#1)"):
        assert needle in text, needle
    # rep table rows: verdict words, per-side valgus, other flags, confidence, cues
    for needle in ("Shallow", "22° valgus", "9° ok", "7° ok", "15° valgus", "14° valgus",
                   "Forward lean, Heel rise", "50% low", "30% very low",
                   "Keep your heels down."):
        assert needle in text, needle
    for i in range(1, 5):
        assert re.search(rf"\b{i} {2 * i:.1f}-{2 * i + 1.7:.1f}\b", text), f"rep {i} row"
    # change section
    assert "Change since the previous session" in text
    assert "not meaningful (within measurement error)" in text
    assert "Improved" in text  # left FPPA 34 -> 13.5
    # disclaimer on every page's footer
    for p in pages:
        assert DISCLAIMER_FOOTER in p
    # typographic characters survive or are substituted, never crash
    assert "Knees out" in text
    # one embedded image
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert sum(len(p.images) for p in reader.pages) == 1

    png = tmp_path / "report_full_p1.png"
    pixels = render_png(data, 0, png)
    assert png.is_file()
    assert pixels.std() > 20  # not blank
    # colour coding is actually drawn: green, amber and red fills on page 1
    for fill in (report_pdf._GREEN, report_pdf._AMBER, report_pdf._RED):
        assert colour_share(pixels, fill) > 0.001, fill


def _with_verdict(rep, verdict, *, left=False, right=False, legs=()):
    rep["valgus"] = {"left": left, "right": right, "phase": "bottom" if (left or right) else None,
                     "verdict": verdict, "possible_legs": list(legs), "decided_by": ["foot_line"]}
    return rep


def possible_set():
    """Rep 1 clear (left knee), rep 2 possible (right knee, no flag), rep 3 no sign; the engine's summary."""
    reps = [_with_verdict(make_rep(1, ["knee_valgus"], fppa_l=22.0, fppa_r=9.0), "clear", left=True),
            _with_verdict(make_rep(2, [], fppa_l=8.0, fppa_r=14.0), "possible", legs=["right"]),
            _with_verdict(make_rep(3, [], fppa_l=7.0, fppa_r=6.0), "none")]
    analysis = make_analysis(reps)
    analysis["summary"]["possible_valgus_reps"] = 1
    return analysis


def test_possible_valgus_is_shown_apart_and_not_counted(tmp_path: Path):
    analysis = possible_set()
    data = render_session_pdf(analysis, client_name="Eve", recorded_at=WHEN)
    text = " ".join(pdf_text(data))
    assert "Knee valgus 1 of 3 reps" in text  # the clear rep only
    assert ("Possible knee valgus 1 of 3 reps - look at this rep (not in the count above). The measures disagree "
            "or the margin is within the measurement error; not counted as a fault.") in text
    assert "22° valgus" in text and "14° possible — look" in text and "8° ok" in text
    assert "14° valgus" not in text
    assert ("Yellow = possible — look at this rep: the measures disagree or the margin is within the measurement "
            "error; not counted as a fault.") in text
    rows, _ = report_pdf._rep_rows(analysis["reps"])
    assert [r[0][1] for r in rows] == [report_pdf._BAD, report_pdf._MAYBE, report_pdf._OK]  # rep number cells
    assert rows[1][4] == ("14° possible — look", report_pdf._MAYBE)
    assert rows[1][3] == ("8° ok", report_pdf._OK)
    # its own pale yellow fill, neither amber nor red
    pixels = render_png(data, 0, tmp_path / "possible_p1.png")
    assert colour_share(pixels, report_pdf._YELLOW, tol=3) > 0.0005
    assert report_pdf._YELLOW not in (report_pdf._AMBER, report_pdf._RED, report_pdf._GREEN)


def test_no_possible_reps_no_possible_words(tmp_path: Path):
    data = render_session_pdf(make_analysis(several_reps()), client_name="Fay", recorded_at=WHEN)
    text = " ".join(pdf_text(data))
    assert "possible" not in text.lower() and "Yellow" not in text
    assert colour_share(render_png(data, 0, tmp_path / "plain_p1.png"), report_pdf._YELLOW, tol=3) == 0.0
    # an old rep (no verdict, per-knee booleans) reads as before: the flagged knee red
    old = make_rep(1, ["knee_valgus"], fppa_l=20.0, fppa_r=8.0)
    old["valgus"] = {"left": True, "right": False, "phase": "bottom"}
    assert report_pdf._side_cell(old, "left") == ("20° valgus", report_pdf._BAD)
    assert report_pdf._side_cell(old, "right") == ("8° ok", report_pdf._OK)


def test_possible_knee_without_fppa_says_so_in_words():
    rep = _with_verdict(make_rep(1, [], fppa_l=None, fppa_r=None), "possible", legs=[])
    rep["metrics"]["knee_toe_left"] = 0.0
    text, status = report_pdf._side_cell(rep, "left")
    assert text.startswith("possible — look") and "FPPA n/a" in text and status == report_pdf._MAYBE
    assert report_pdf._side_cell(rep, "right")[1] == report_pdf._MAYBE  # no leg named: both
    nj = _with_verdict(make_rep(1, [], fppa_l=None, fppa_r=None), "not_judged")
    assert report_pdf._side_cell(nj, "left") == ("n/a", report_pdf._NA)


def test_worst_frame_is_rgb_not_bgr(tmp_path: Path):
    frame = np.zeros((300, 200, 3), np.uint8)
    frame[...] = (255, 0, 0)  # RGB pure red
    data = render_session_pdf(make_analysis([]), client_name="X", recorded_at=None,
                              worst_frame_rgb=frame)
    doc = pdfium.PdfDocument(data)
    pixels = None
    for i in range(len(doc)):
        arr = np.asarray(doc[i].render(scale=1).to_pil().convert("RGB"))
        if colour_share(arr, (255, 0, 0), tol=30) > 0.01:
            pixels = arr
    assert pixels is not None, "the red frame should appear red (RGB order kept)"
    assert colour_share(pixels, (0, 0, 255), tol=30) == 0.0


def test_zero_reps(tmp_path: Path):
    analysis = make_analysis([], problems=[{"code": "body_cut_off",
                                            "message": "Feet are cut off - step back."}])
    data = render_session_pdf(analysis, client_name="Bob", recorded_at=WHEN)
    pages = pdf_text(data)
    text = " ".join(pages)
    assert "Bob" in text and "Reps detected 0" in text
    assert "No squat reps were detected" in text
    assert "Feet are cut off - step back." in text
    assert "Rep by rep" not in text
    assert "No previous session to compare with." in text
    assert all(DISCLAIMER_FOOTER in p for p in pages)
    assert render_png(data, 0, tmp_path / "zero.png").std() > 10


def test_none_metrics_and_side_view():
    side_reps = [make_rep(i, ["shallow"] if i == 2 else [], fppa_l=None, fppa_r=None,
                          kasr=None, asym=None) for i in (1, 2, 3)]
    prev = make_analysis(several_reps())
    data = render_session_pdf(make_analysis(side_reps, view="side"), client_name="Cleo",
                              recorded_at=WHEN, previous=prev)
    text = " ".join(pdf_text(data))
    assert NA_VIEW in text  # summary, legend and the change table
    assert "knee valgus cannot be seen from the side" in text
    assert "Knee angle (FPPA) " + NA_VIEW in text
    assert "Knee valgus " + NA_VIEW in text
    assert "Improved" not in text and "Worse" not in text  # front vs side: nothing comparable


def test_many_reps_span_pages(tmp_path: Path):
    reps = [make_rep(i, ["knee_valgus"] if i % 3 == 0 else [],
                     cue="Push your knees out over your toes and keep the chest up." if i % 2 else None)
            for i in range(1, 61)]
    data = render_session_pdf(make_analysis(reps), client_name="Dee", recorded_at=WHEN)
    pages = pdf_text(data)
    assert len(pages) >= 3
    text = " ".join(pages)
    for i in (1, 30, 59, 60):
        assert re.search(rf"\b{i} {2 * i:.1f}-", text), i
    assert sum("Valgus L (FPPA)" in p for p in pages) >= 2  # header repeated on new pages
    for n, p in enumerate(pages, start=1):
        assert DISCLAIMER_FOOTER in p
        assert f"Page {n} of {len(pages)}" in p
    assert render_png(data, 1, tmp_path / "many_p2.png").std() > 10


def test_core_font_fallback_makes_text_latin1_safe(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(report_pdf, "_find_unicode_font", lambda: None)
    reps = several_reps()
    reps[0]["cues"] = ["Knees ≥ toes → “push” out…"]
    data = render_session_pdf(make_analysis(reps), client_name="Łukasz Zoë 山田",
                              recorded_at=WHEN, previous=make_analysis(reps),
                              notes="Note — with ≤ and ≈ signs\tand a tab")
    text = " ".join(pdf_text(data))
    assert "Lukasz Zoë ??" in text
    assert 'Knees >= toes -> "push" out...' in text
    assert "Note - with <= and ~ signs and a tab" in text
    assert DISCLAIMER_FOOTER in text  # ± and ° are latin-1
    assert "not meaningful (within measurement error)" in text
    assert render_png(data, 0, tmp_path / "core_p1.png").std() > 20


@pytest.mark.skipif(report_pdf._find_unicode_font() is None, reason="DejaVu Sans not installed")
def test_unicode_font_keeps_names():
    data = render_session_pdf(make_analysis(several_reps()), client_name="Łukasz Żółć Ксения",
                              recorded_at=WHEN)
    text = " ".join(pdf_text(data))
    assert "Łukasz Żółć Ксения" in text
    assert "≥" in text  # DejaVu has it, so it is kept


@pytest.mark.parametrize(
    "frame",
    [
        np.full((100, 80), 128, np.uint8),  # greyscale
        np.full((100, 80, 4), 200, np.uint8),  # RGBA
        np.random.default_rng(0).random((100, 80, 3)),  # float 0..1
        np.full((100, 80, 3), 300.0),  # float out of range -> clipped
    ],
)
def test_frame_variants_are_accepted(frame):
    data = render_session_pdf(make_analysis(several_reps()), client_name="E", recorded_at=WHEN,
                              worst_frame_rgb=frame)
    assert sum(len(p.images) for p in pypdf.PdfReader(io.BytesIO(data)).pages) == 1


def test_bad_frame_shape_is_rejected():
    with pytest.raises(ValueError, match="HxWx3"):
        render_session_pdf(make_analysis([]), client_name="E", recorded_at=WHEN,
                           worst_frame_rgb=np.zeros((10, 10, 2), np.uint8))


def test_minimal_and_odd_analysis_does_not_crash():
    odd = {"reps": [{"flags": ["knee_valgus", "some_new_flag"], "metrics": None,
                     "confidence": None}, "not a rep"]}
    data = render_session_pdf(odd, client_name=None, recorded_at=None)
    text = " ".join(pdf_text(data))
    assert "(not named)" in text and "not recorded" in text
    assert "Some new flag" in text
    assert DISCLAIMER_FOOTER in text
    assert render_session_pdf({}, client_name="x", recorded_at=None).startswith(b"%PDF")


def test_names_and_notes_are_printed_as_typed_never_as_markup():
    """fpdf2 reads ``**bold**``, ``__italic__`` and ``[text](url)`` with ``markdown=True`` and HTML with
    ``write_html``: a client's name and the trainer's notes must go in as plain text."""
    name = "**Bo** <b>x</b> [click](http://evil.example)"
    notes = "__under__ ![t](http://HOST/x.png) <a href='http://evil.example'>x</a>"
    data = render_session_pdf(make_analysis(several_reps()), client_name=name, recorded_at=WHEN, notes=notes)
    text = " ".join(pdf_text(data))
    assert name in text and notes in text
    reader = pypdf.PdfReader(io.BytesIO(data))
    links = [a for p in reader.pages for a in (p.get("/Annots") or [])]
    assert links == []  # no clickable link anywhere
    assert b"/URI" not in data
