"""One-session squat screening report as a PDF (fpdf2).

``render_session_pdf(analysis, client_name=..., recorded_at=...)`` returns the PDF bytes
(for ``st.download_button`` or writing to disk). Nothing is written to disk here.

Fonts: DejaVu Sans (a TTF that ships inside the matplotlib wheel, which mediapipe depends
on) is embedded when it can be found, so names like "Łukasz" or "Ксения" print correctly;
otherwise the report falls back to the built-in Helvetica and all text is made latin-1
safe ("≥" -> ">=", "Ł" -> "L", unknown characters -> "?"). Either way, characters the
chosen font cannot draw are replaced instead of silently vanishing.

Colours are never the only signal: every coloured cell also says "OK" / "Shallow" /
"valgus" / "possible" / "low" in words, so a black-and-white printout still reads correctly.
A "possible" knee verdict (``vision.faults``) is never printed as a fault: its own pale yellow,
its own summary line, not in the valgus count.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from vision import faults
from vision.images import as_rgb
from vision.valgus import knee_toe_text
from trainer.session_compare import (
    IMPROVED,
    NOT_COMPARABLE_REPS,
    NOT_COMPARABLE_VIEW,
    NOT_MEANINGFUL,
    WORSE,
    ANGLE_SDD_DEG,
    compare_sessions,
    finite_or_none,
    summarise_analysis,
)

__all__ = ["DISCLAIMER_FOOTER", "NA_VIEW", "render_session_pdf"]

DISCLAIMER_FOOTER = (
    "Screening aid, not a diagnosis. 2D video measures knee valgus only approximately "
    "(±3° reliability; changes under ~9° are within measurement error)."
)
NA_VIEW = "n/a - not visible from this camera angle"

# cell fills (light enough to print text on) and their meaning
_GREEN = (212, 239, 212)
_AMBER = (255, 228, 176)
_RED = (248, 203, 203)
_GREY = (232, 232, 232)
_YELLOW = (252, 244, 168)   # a possible knee verdict: not a fault, so none of the three above
_HEAD = (44, 62, 80)
_OK, _WARN, _BAD, _NA, _MAYBE = 0, 1, 2, 3, 4
_FILL = {_OK: _GREEN, _WARN: _AMBER, _BAD: _RED, _NA: _GREY, _MAYBE: _YELLOW}
_RANK = {_OK: 0, _MAYBE: 1, _WARN: 2, _BAD: 3}  # which status colours a rep's number cell
_VIEW_NOTES = {
    "front": "Front view: knee valgus, depth and left/right balance can be judged.",
    "side": "Side view: depth and trunk lean can be judged; knee valgus cannot be seen from the side.",
    "oblique": "Oblique view: all measures are approximate; film straight from the front for knee valgus.",
    "unknown": "Camera angle could not be determined; treat all measures with caution.",
}

# Typographic characters the engine or a user may type, with latin-1 stand-ins.
_ASCII_SUBS = {
    "≥": ">=", "≤": "<=", "≠": "!=", "≈": "~", "–": "-", "—": "-", "−": "-", "‐": "-",
    "‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "…": "...", "•": "-",
    "→": "->", "←": "<-", "×": "x", "✓": "OK", "✔": "OK", "✗": "x", "\u00a0": " ",
    "\u2009": " ", "\u202f": " ", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h",
    "ı": "i", "Œ": "OE", "œ": "oe", "Ŀ": "L", "ŀ": "l", "ŉ": "'n", "ẞ": "SS",
}

_DEJAVU = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}


@functools.lru_cache(maxsize=1)
def _find_unicode_font() -> tuple[dict[str, Path], frozenset[int]] | None:
    """DejaVu Sans from the installed matplotlib wheel (located without importing it),
    with the set of code points it covers; None if not available."""
    try:
        spec = importlib.util.find_spec("matplotlib")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    base = Path(list(spec.submodule_search_locations)[0]) / "mpl-data" / "fonts" / "ttf"
    files = {style: base / name for style, name in _DEJAVU.items()}
    if not all(p.is_file() for p in files.values()):
        return None
    try:
        from fontTools.ttLib import TTFont  # fpdf2 dependency

        with TTFont(str(files[""]), lazy=True) as font:
            cmap = frozenset(font.getBestCmap() or {})
    except Exception:
        return None
    return files, cmap


def _make_safe(text: Any, can_draw: Callable[[str], bool]) -> str:
    """Replace what the font cannot draw: typographic stand-ins, then accent stripping,
    then '?'. Tabs/control characters become spaces; newlines are kept."""
    s = unicodedata.normalize("NFC", "" if text is None else str(text))
    out: list[str] = []
    for ch in s:
        if ch == "\n":
            out.append(ch)
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append(" ")
            continue
        if can_draw(ch):
            out.append(ch)
            continue
        sub = _ASCII_SUBS.get(ch)
        if sub is not None and all(can_draw(c) for c in sub):
            out.append(sub)
            continue
        base = "".join(
            c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
        )
        if base and all(can_draw(c) for c in base):
            out.append(base)
        else:
            out.append("?")
    return "".join(out)


def _latin1(ch: str) -> bool:
    return ord(ch) < 256 and (ord(ch) >= 0xA0 or 0x20 <= ord(ch) < 0x7F)


# --------------------------------------------------------------------------- formatting


_num = finite_or_none


def _deg(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}°"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _fmt_dt(dt: datetime | None) -> str:
    if dt is None:
        return "not recorded"
    if dt.tzinfo is not None:
        dt = dt.astimezone()  # show the trainer's local time
    return dt.strftime("%Y-%m-%d %H:%M")


def _flag_label(flag: str) -> str:
    return faults.label(flag, capital=True)


def _frame_to_jpeg(frame: np.ndarray) -> tuple[io.BytesIO, int, int]:
    """RGB (or grey / RGBA / float 0..1) array -> JPEG bytes for embedding.

    PIL is given RGB directly (it is an fpdf2 dependency, so always present); no BGR
    round-trip through OpenCV is involved.
    """
    from PIL import Image

    arr = as_rgb(frame)
    if arr.dtype != np.uint8:
        arr = np.nan_to_num(arr.astype(np.float64))
        if arr.max(initial=0) <= 1.0:
            arr = arr * 255.0
        arr = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    img = Image.fromarray(np.ascontiguousarray(arr), "RGB")
    img.thumbnail((1400, 1400))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    buf.seek(0)
    return buf, img.width, img.height


# --------------------------------------------------------------------------- PDF class


class _ReportPDF(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        found = _find_unicode_font()
        if found is not None:
            files, cmap = found
            for style, path in files.items():
                self.add_font("DejaVu", style, str(path))
            self._fam = "DejaVu"
            self._can_draw: Callable[[str], bool] = lambda ch: ord(ch) in cmap
        else:
            self._fam = "Helvetica"
            self._can_draw = _latin1
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=24)
        self.set_title("Squat screening report")
        self.set_creator("SquatCheck")
        self.set_author("SquatCheck")
        self.set_creation_date(datetime.now(timezone.utc))

    def t(self, text: Any) -> str:
        return _make_safe(text, self._can_draw)

    def use_font(self, style: str = "", size: float = 9.5) -> None:
        self.set_font(self._fam, style, size)

    def footer(self) -> None:
        self.set_y(-19)
        self.set_draw_color(180)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(1.2)
        self.use_font("I", 7.5)
        self.set_text_color(70)
        self.multi_cell(0, 3.4, self.t(DISCLAIMER_FOOTER), align="C",
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="C")
        self.set_text_color(0)

    # -- building blocks ---------------------------------------------------------------

    def h1(self, text: str) -> None:
        self.use_font("B", 17)
        self.cell(0, 9, self.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def h2(self, text: str) -> None:
        if self.will_page_break(18):
            self.add_page()
        self.ln(3)
        self.use_font("B", 12)
        self.set_text_color(*_HEAD)
        self.cell(0, 7, self.t(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*_HEAD)
        self.set_line_width(0.3)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_line_width(0.2)
        self.set_text_color(0)
        self.ln(1.5)

    def kv(self, label: str, value: Any, *, label_w: float = 42) -> None:
        self.use_font("B", 9.5)
        x0 = self.get_x()
        self.cell(label_w, 5.2, self.t(label))
        self.use_font("", 9.5)
        self.multi_cell(self.w - self.r_margin - x0 - label_w, 5.2, self.t(value), align="L",
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def para(self, text: Any, *, size: float = 9.5, style: str = "",
             color: Sequence[int] | None = None) -> None:
        self.use_font(style, size)
        if color:
            self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, self.t(text), align="L",
                        new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0)

    def bullets(self, items: Sequence[Any], *, color: Sequence[int] | None = None) -> None:
        for item in items:
            self.use_font("", 9.5)
            if color:
                self.set_text_color(*color)
            self.cell(5, 5, "-")
            self.multi_cell(0, 5, self.t(item), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.set_text_color(0)

    def status_table(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[tuple[str, int | None]]],
        col_widths: Sequence[float],
        *,
        size: float = 8.5,
    ) -> None:
        """A table whose cells are (text, status); status picks the fill (None = white).
        Long tables continue on the next page with the heading row repeated."""
        self.use_font("", size)
        head = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=_HEAD)
        with self.table(
            col_widths=tuple(col_widths),
            text_align="LEFT",
            line_height=size * 0.5,
            headings_style=head,
            repeat_headings=1,
            padding=(0.9, 1.2),
            width=self.epw,
        ) as table:
            hrow = table.row()
            for h in headings:
                hrow.cell(self.t(h))
            for cells in rows:
                row = table.row()
                for text, status in cells:
                    style = FontFace(fill_color=_FILL[status]) if status is not None else None
                    row.cell(self.t(text), style=style)


# --------------------------------------------------------------------------- content


def _side_cell(rep: Mapping[str, Any], side: str) -> tuple[str, int]:
    """Valgus cell for one knee: FPPA angle + verdict word ("valgus" / "possible — look" / "ok") + status."""
    metrics = rep.get("metrics") or {}
    flags = {str(f) for f in rep.get("flags") or []}
    own = _num(metrics.get(f"fppa_{side}_deg"))
    other = _num(metrics.get(f"fppa_{'right' if side == 'left' else 'left'}_deg"))
    toe = knee_toe_text(dict(metrics), side)
    per_knee = rep.get("valgus") if isinstance(rep.get("valgus"), Mapping) else None
    verdict = faults.valgus_verdict(rep)
    if own is None and (not faults.valgus_judged(rep) or per_knee is None):
        return "n/a", _NA
    legs = faults.possible_legs(rep)
    possible = verdict == faults.POSSIBLE and (side in legs or not legs)
    if possible:
        flagged = False
    elif per_knee is not None:   # the engine's own per-knee verdict, for a fault only
        flagged = bool(per_knee.get(side)) and any(f.startswith("knee_valgus") for f in flags)
    elif f"knee_valgus_{side}" in flags:  # per-side flags, if the engine provides them
        flagged = True
    elif any(f.startswith("knee_valgus_") for f in flags):
        flagged = False
    elif "knee_valgus" in flags:
        # The rep is flagged, not the side: mark the worse knee, and the other one too
        # unless it is better by more than the measurement error.
        flagged = other is None or own >= other or (other - own) <= ANGLE_SDD_DEG
    else:
        flagged = False
    word = "valgus" if flagged else faults.POSSIBLE_SHORT if possible else "ok"
    if own is None:  # FPPA means nothing while the thigh points at the camera: the knee vs the toes
        text = word + (f": {toe}" if toe else "") + "; FPPA n/a (thigh foreshortened)"
    else:
        text = f"{own:.0f}° {word}" + (f"; {toe}" if toe else "")
    return text, (_BAD if flagged else _MAYBE if possible else _OK)


def _depth_cell(rep: Mapping[str, Any]) -> tuple[str, int]:
    metrics = rep.get("metrics") or {}
    flags = {str(f) for f in rep.get("flags") or []}
    if "shallow" in flags:
        return "Shallow", _WARN
    if _num(metrics.get("depth_ratio")) is None and _num(metrics.get("knee_flexion_deg")) is None:
        return "n/a", _NA
    return "OK", _OK


def _rep_rows(reps: Sequence[Mapping[str, Any]]) -> tuple[list[list[tuple[str, int | None]]], bool]:
    rows = []
    any_na = False
    for i, rep in enumerate(reps, start=1):
        flags = [str(f) for f in rep.get("flags") or []]
        index = rep.get("index", i)
        start, end = _num(rep.get("start_s")), _num(rep.get("end_s"))
        when = f"{start:.1f}-{end:.1f}" if start is not None and end is not None else "-"
        depth = _depth_cell(rep)
        left, right = _side_cell(rep, "left"), _side_cell(rep, "right")
        others = [f for f in flags if f != "shallow" and not f.startswith("knee_valgus")]
        other = (", ".join(_flag_label(f) for f in others), _WARN) if others else ("None", _OK)
        conf = _num(rep.get("confidence"))
        if conf is None:
            conf_cell: tuple[str, int] = ("n/a", _NA)
        elif conf >= 0.7:
            conf_cell = (f"{conf * 100:.0f}%", _OK)
        elif conf >= 0.4:
            conf_cell = (f"{conf * 100:.0f}% low", _WARN)
        else:
            conf_cell = (f"{conf * 100:.0f}% very low", _BAD)
        cues = " ".join(str(c) for c in rep.get("cues") or []) or "-"
        worst = max((s for _, s in (depth, left, right, other) if s != _NA), key=_RANK.get) if any(
            s != _NA for _, s in (depth, left, right, other)
        ) else _NA
        any_na = any_na or _NA in (depth[1], left[1], right[1])
        rows.append([(str(index), worst), (when, None), depth, left, right, other, conf_cell,
                     (cues, None)])
    return rows, any_na


def _fmt_value(entry: Mapping[str, Any], which: str) -> str:
    value = entry.get(which)
    if entry["metric"] == "valgus_rate":
        if value is None:
            return "n/a (no reps)" if not entry.get(f"{which}_reps") else "n/a"
        count = entry.get(f"{which}_count")
        reps = entry.get(f"{which}_reps")
        return f"{value * 100:.0f}% ({count}/{reps})"
    return _deg(value) if entry.get("unit") == "deg" else _ratio(value)


def _fmt_change(entry: Mapping[str, Any]) -> str:
    change = entry.get("change")
    if change is None:
        return "-"
    if entry["metric"] == "valgus_rate":
        reps = entry.get("count_change") or 0
        pts = f"{change * 100:+.0f} pts"
        return f"{pts} ({reps:+d} rep{'s' if abs(reps) != 1 else ''})" if reps else pts
    return f"{change:+.1f}°" if entry.get("unit") == "deg" else f"{change:+.2f}"


def _verdict_cell(entry: Mapping[str, Any]) -> tuple[str, int]:
    verdict = entry.get("verdict")
    if verdict == IMPROVED:
        return "Improved (larger than measurement error)", _OK
    if verdict == WORSE:
        return "Worse (larger than measurement error)", _BAD
    if verdict == NOT_COMPARABLE_VIEW:
        return NA_VIEW, _NA
    if verdict == NOT_COMPARABLE_REPS:
        return "n/a - no reps in one of the sessions", _NA
    return NOT_MEANINGFUL, _NA


def render_session_pdf(
    analysis: dict,
    *,
    client_name: str | None,
    recorded_at: datetime | None,
    previous: dict | None = None,
    worst_frame_rgb: np.ndarray | None = None,
    notes: str = "",
    previous_recorded_at: datetime | None = None,
) -> bytes:
    """Render a one-session screening report and return the PDF bytes.

    ``analysis`` / ``previous``: engine analysis dicts (``previous`` = the client's prior
    session, for the "change since last time" section). ``worst_frame_rgb``: the worst
    rep's bottom frame as an RGB uint8 array (skeleton already drawn). ``notes``: free
    text from the trainer. Missing fields and None metrics are reported as n/a.
    """
    if not isinstance(analysis, Mapping):
        raise TypeError("analysis must be a dict")
    pdf = _ReportPDF()
    pdf.alias_nb_pages()
    pdf.add_page()

    summ = summarise_analysis(analysis)
    reps = [r for r in analysis.get("reps") or [] if isinstance(r, Mapping)]
    summary = analysis.get("summary") or {}
    source = analysis.get("source") or {}
    video = analysis.get("video") or {}
    view = str(analysis.get("view") or "unknown")

    # -- title & identification -------------------------------------------------------
    pdf.h1("Squat screening report")
    pdf.para("SquatCheck - knee valgus and squat depth from video", size=9, color=(90, 90, 90))
    pdf.ln(2)
    pdf.kv("Client", client_name or "(not named)")
    pdf.kv("Recorded", _fmt_dt(recorded_at))
    pdf.kv("Source file", source.get("file") or "n/a")
    details = []
    if _num(video.get("duration_s")) is not None:
        details.append(f"{_num(video.get('duration_s')):.1f} s")
    if _num(video.get("fps")) is not None:
        details.append(f"{_num(video.get('fps')):.0f} fps")
    if video.get("width") and video.get("height"):
        details.append(f"{video.get('width')}x{video.get('height')}")
    if details:
        pdf.kv("Video", ", ".join(details))
    if analysis.get("profile"):
        pdf.kv("Profile", analysis.get("profile"))
    pdf.kv("Report created", _fmt_dt(datetime.now(timezone.utc)))

    # -- camera & set-up quality ------------------------------------------------------
    pdf.h2("Camera view and set-up")
    pdf.kv("Camera view", f"{view} - {_VIEW_NOTES.get(view, _VIEW_NOTES['unknown'])}")
    quality = analysis.get("quality") or {}
    score = _num(quality.get("score"))
    if score is not None:
        word = "good" if score >= 0.75 else "fair" if score >= 0.5 else "poor"
        pdf.kv("Set-up quality", f"{score * 100:.0f}% ({word})")
    q_notes = [str(n) for n in quality.get("notes") or []]
    if q_notes:
        pdf.bullets(q_notes)
    problems = [p for p in analysis.get("problems") or [] if isinstance(p, Mapping)]
    if problems:
        pdf.ln(1)
        pdf.para("Problems found with this recording:", style="B")
        pdf.bullets([p.get("message") or p.get("code") or "unknown problem" for p in problems],
                    color=(160, 40, 40))

    # -- summary ------------------------------------------------------------------------
    pdf.h2("Summary")
    n = summ["rep_count"]
    pdf.kv("Reps detected", str(n))
    if n:
        pdf.kv("Knee valgus", f"{summ['valgus_reps']} of {n} reps"
               if summ["valgus_rate"] is not None else NA_VIEW)
        maybe = faults.possible_valgus_reps(analysis)
        if maybe and summ["valgus_rate"] is not None:
            pdf.kv("Possible knee valgus", f"{maybe} of {n} reps - look at {'this rep' if maybe == 1 else 'these reps'}"
                   f" (not in the count above). {faults.POSSIBLE_EXPLANATION}")
        pdf.kv("Shallow", f"{summ['shallow_reps']} of {n} reps")
        fl, fr = summ["fppa_left_mean_deg"], summ["fppa_right_mean_deg"]
        if fl is None and fr is None:
            pdf.kv("Knee angle (FPPA)", NA_VIEW)
        else:
            pdf.kv("Knee angle (FPPA)", f"mean left {_deg(fl)}, right {_deg(fr)} (higher = more valgus)")
        kasr = summ["kasr_mean"]
        pdf.kv("Knee/ankle ratio", NA_VIEW if kasr is None else
               f"mean {kasr:.2f} (1.0 = knees over ankles; lower = knees closer together)")
        worst = summary.get("worst_rep")
        if worst is not None:
            pdf.kv("Worst rep", f"#{worst}")
    else:
        pdf.para("No squat reps were detected in this clip, so there is nothing to score. "
                 "Check the set-up notes above and record again.")
    if summary.get("main_cue"):
        pdf.kv("Main cue", summary.get("main_cue"))

    # -- per-rep table --------------------------------------------------------------------
    if reps:
        pdf.h2("Rep by rep")
        rows, any_na = _rep_rows(reps)
        pdf.status_table(
            ("Rep", "Time (s)", "Depth", "Valgus L (FPPA)", "Valgus R (FPPA)", "Other flags",
             "Conf.", "Cue"),
            rows,
            (9, 18, 16, 21, 21, 27, 19, 49),
        )
        pdf.ln(1.5)
        legend = "Green = OK, amber = check, red = knee valgus / very low confidence, grey = n/a."
        if any(faults.valgus_verdict(r) == faults.POSSIBLE for r in reps):
            legend += f" Yellow = {faults.POSSIBLE_LABEL}: {faults.POSSIBLE_EXPLANATION[0].lower()}" \
                      f"{faults.POSSIBLE_EXPLANATION[1:]}"
        if any_na:
            legend += f" n/a = {NA_VIEW}."
        pdf.para(legend, size=8, color=(90, 90, 90))

    # -- worst rep image ----------------------------------------------------------------
    if worst_frame_rgb is not None:
        buf, w_px, h_px = _frame_to_jpeg(worst_frame_rgb)
        # Use the rest of this page if it leaves room for a useful picture, else a new page.
        room = pdf.h - pdf.b_margin - pdf.get_y() - 22  # heading + caption
        if room < 80:
            pdf.add_page()
            room = pdf.h - pdf.b_margin - pdf.get_y() - 22
        scale = min(110.0 / w_px, min(100.0, room) / h_px)
        w_mm, h_mm = w_px * scale, h_px * scale
        worst = summary.get("worst_rep")
        worst_rep = next((r for r in reps if r.get("index") == worst), None)
        title = f"Worst rep (#{worst}) at the bottom" if worst is not None else "Bottom of the worst rep"
        pdf.h2(title)
        if worst_rep is not None and _num(worst_rep.get("bottom_s")) is not None:
            pdf.para(f"Frame at {_num(worst_rep.get('bottom_s')):.1f} s.", size=8.5,
                     color=(90, 90, 90))
        y = pdf.get_y() + 1
        pdf.image(buf, x=(pdf.w - w_mm) / 2, y=y, w=w_mm, h=h_mm)
        pdf.set_y(y + h_mm + 2)

    # -- change since previous session ----------------------------------------------------
    pdf.h2("Change since the previous session")
    if previous is None:
        pdf.para("No previous session to compare with.")
    else:
        if previous_recorded_at is not None:
            pdf.para(f"Previous session: {_fmt_dt(previous_recorded_at)}.", size=9)
            pdf.ln(1)
        rows2: list[list[tuple[str, int | None]]] = []
        for entry in compare_sessions(previous, analysis):
            rows2.append([
                (entry["label"], None),
                (_fmt_value(entry, "previous"), None),
                (_fmt_value(entry, "current"), None),
                (_fmt_change(entry), None),
                _verdict_cell(entry),
            ])
        pdf.status_table(("Measure", "Previous", "This session", "Change", "Assessment"),
                         rows2, (46, 25, 25, 27, 57))
        pdf.ln(1.5)
        pdf.para(
            "A change is only called improved or worse when it is larger than the measurement "
            "error: 9° for knee angles and left/right asymmetry (Munro et al. 2012: smallest "
            "detectable difference 7.5-8.9° for 2D FPPA); 0.10 for the knee/ankle ratio, 0.15 "
            "for the depth ratio, and 2 reps or 25 percentage points for the valgus rep rate "
            "(working estimates, not published values).",
            size=8, color=(90, 90, 90),
        )

    # -- trainer notes & disclaimer ------------------------------------------------------
    if notes and str(notes).strip():
        pdf.h2("Trainer notes")
        pdf.para(str(notes).strip())

    # The fixed disclaimer is in every page footer; the engine's own (longer) one goes here.
    disclaimer = str(analysis.get("disclaimer") or "").strip()
    if disclaimer and disclaimer != DISCLAIMER_FOOTER:
        pdf.h2("About this report")
        pdf.para(disclaimer, size=8.5)

    return bytes(pdf.output())


def pdf_for_result(result: dict, worst_frame_rgb: np.ndarray | None = None) -> bytes:
    """The command line's screening report of one analysed clip (no client, filmed "now")."""
    return render_session_pdf(result, client_name=None, recorded_at=datetime.now(), worst_frame_rgb=worst_frame_rgb)


def pdf_for_analysis(video_path: str | Path, analysis, *, client_name: str | None = None,
                     recorded_at: datetime | None = None, previous: dict | None = None, notes: str = "") -> bytes:
    """The screening report of one analysed video (a :class:`vision.analysis.Analysis`), with the worst
    rep's bottom frame drawn from the video."""
    from vision.render import worst_rep_frame

    return render_session_pdf(analysis.result, client_name=client_name, recorded_at=recorded_at or datetime.now(),
                              previous=previous, worst_frame_rgb=worst_rep_frame(video_path, analysis), notes=notes)
