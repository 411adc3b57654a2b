"""Result dict → what the pages show: table rows, tiles, chart data, texts.

Pure functions only (no Streamlit import), so they are tested without a browser or a
script runner. The pages in ``ui/`` call these and only lay the output out.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping

import numpy as np
import pandas as pd

from vision import faults
from vision.valgus import knee_toe_text

# --- severity colours (cell background, text) -------------------------------------------------
SEVERITY_LABELS = {"ok": "OK", "minor": "Minor", "major": "Major"}
SEVERITY_CSS = {
    "ok": "background-color: #d4f4dd; color: #0b5d1e",      # green
    "minor": "background-color: #ffe8b3; color: #6b4a00",   # amber
    "major": "background-color: #ffd0d0; color: #8a0f0f",   # red
}
# a "possible" knee verdict: not a fault, so not a severity colour; pale yellow, italic
POSSIBLE_CSS = "background-color: #fff7c2; color: #5c4b00; font-style: italic"
_LABEL_TO_SEVERITY = {v: k for k, v in SEVERITY_LABELS.items()}

FLAG_LABELS = {code: f.label for code, f in faults.FAULTS.items()}   # heel_rise -> heel rise
VIEW_LABELS = {"front": "Front", "side": "Side", "oblique": "Angled (about 45°)", "rear": "From behind",
               "unknown": "Unknown"}

TABLE_COLUMNS = ["Rep", "Time", "Verdict", "Depth", "Valgus L", "Valgus R", "Other flags", "Confidence", "Cue"]

REFILM_TIPS = {
    "valgus": "Film from the front, camera at hip height, 2–3 m away, whole body in frame.",
    "asymmetry": "Film from the front, camera at hip height, so both knees are visible.",
    "lateral_shift": "Film from the front, camera at hip height, so both hips and feet are visible.",
    "depth": "Film from the side (turn 90° to the camera), camera at hip height, to judge depth exactly.",
    "forward_lean": "Film from the side (turn 90° to the camera) to judge trunk lean.",
    "heel_rise": "Film from the side (turn 90° to the camera) to judge heel rise.",
}
REFILM_VIEW = {"valgus": "front", "asymmetry": "front", "lateral_shift": "front", "depth": "side",
               "forward_lean": "side", "heel_rise": "side"}
GENERIC_REFILM_TIP = ("To re-film: phone at hip height, 2–3 m away, whole body head to feet in frame, good light, "
                      "one person in view; front view for knee valgus, side view for depth and trunk lean.")

NOT_FILMING = {"video_incomplete"}   # problems with the file, not the filming: no re-filming tip for them

SEX_OPTIONS = ("not specified", "female", "male")


# ------------------------------------------------------------------------------------------------
# Small formatting helpers
# ------------------------------------------------------------------------------------------------


def finite(x: Any) -> bool:
    try:
        return x is not None and not isinstance(x, bool) and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def fmt_seconds(s: Any) -> str:
    """``3.456`` → ``"3.5 s"``; missing → ``"–"``."""
    return f"{float(s):.1f} s" if finite(s) else "–"


def time_range(start: Any, end: Any) -> str:
    """``(0.304, 1.771)`` → ``"0.3–1.8 s"``; missing ends show as ``"?"``."""
    a = f"{float(start):.1f}" if finite(start) else "?"
    b = f"{float(end):.1f}" if finite(end) else "?"
    return f"{a}–{b} s"


def fmt_duration(seconds: Any) -> str:
    """A time left for humans: ``"45 s"``, ``"2 min 05 s"``; missing → ``"–"``."""
    if not finite(seconds):
        return "–"
    s = max(0, int(round(float(seconds))))
    return f"{s} s" if s < 60 else f"{s // 60} min {s % 60:02d} s"


def progress_text(done: int, total: int, elapsed_s: float) -> tuple[float, str]:
    """(fraction in [0, 1], label) for a progress bar, with time left estimated from the rate so far."""
    total = int(total or 0)
    done = int(done or 0)
    if total <= 0:
        return 0.0, f"Analysing: {done} frames"
    frac = min(1.0, max(0.0, done / total))
    label = f"Analysing: frame {min(done, total)} of {total}"
    if done > 0 and elapsed_s > 0 and done < total:
        rate = done / elapsed_s
        label += f" · about {fmt_duration((total - done) / rate)} left"
    return frac, label


# ------------------------------------------------------------------------------------------------
# Header: view, quality, problems, re-film tips
# ------------------------------------------------------------------------------------------------


def view_text(result: Mapping) -> str:
    """``"Front view (confidence 99%)"``."""
    view = result.get("view") or "unknown"
    conf = result.get("view_confidence")
    label = VIEW_LABELS.get(view, str(view).capitalize())
    text = f"{label} view" if view in ("front", "side") else label
    if finite(conf) and view != "unknown":
        text += f" (confidence {float(conf):.0%})"
    return text


def quality_notes(result: Mapping) -> list[str]:
    return [str(n) for n in ((result.get("quality") or {}).get("notes") or [])]


def not_judged(result: Mapping) -> dict[str, str]:
    """Every metric that could not be judged, clip-wide and per rep: ``{metric: reason}`` (first reason wins)."""
    out: dict[str, str] = {}
    for key, why in (result.get("not_judged") or {}).items():
        out.setdefault(str(key), str(why))
    for rep in result.get("reps") or []:
        for key, why in (rep.get("not_judged") or {}).items():
            out.setdefault(str(key), str(why))
    return out


def refilm_tips(result: Mapping) -> list[str]:
    """Re-filming advice for what could not be judged or what went wrong; empty when nothing to fix.

    A view tip ("film from the front/side") is given only when the clip was not filmed from that
    view; otherwise the engine's own reason (shown beside it) already says what to change.
    """
    view = result.get("view")
    tips: list[str] = []
    for key in not_judged(result):
        tip = REFILM_TIPS.get(key)
        if tip and REFILM_VIEW.get(key) != view and tip not in tips:
            tips.append(tip)
    filming = [p for p in (result.get("problems") or [])
               if not (isinstance(p, Mapping) and p.get("code") in NOT_FILMING)]
    if filming and GENERIC_REFILM_TIP not in tips:
        tips.append(GENERIC_REFILM_TIP)
    return tips


def problem_messages(result: Mapping) -> list[str]:
    return [str(p.get("message") or p.get("code")) for p in (result.get("problems") or []) if isinstance(p, Mapping)]


# ------------------------------------------------------------------------------------------------
# Summary tiles
# ------------------------------------------------------------------------------------------------


def summary_tiles(result: Mapping) -> list[dict]:
    """The metric tiles: ``[{"label", "value", "help"}]``.

    Valgus is judged from a front view and, against the toes, from one off the front: side and
    rear-angled views show "not judged" instead of a 0 that would read as "no valgus".
    """
    s = result.get("summary") or {}
    reps = int(s.get("rep_count") or 0)
    valgus_judged = any(faults.valgus_judged(r) for r in result.get("reps") or [])
    worst = s.get("worst_rep")
    valgus_tile = {"label": "Reps with knee valgus",
                   "value": f"{int(s.get('valgus_reps') or 0)} of {reps}" if valgus_judged else "not judged",
                   "help": "Knees caving inwards; judged from the front (a camera turned up to about 30° to the "
                           "side: against the toes only, further round: possible at most)."}
    note = possible_note(result) if valgus_judged else None
    if note:
        valgus_tile["note"] = note
        valgus_tile["help"] += f" Possible ({faults.POSSIBLE_LABEL}): {faults.POSSIBLE_EXPLANATION}"
    return [
        {"label": "Reps", "value": str(reps), "help": "Squat reps found (a descent to a bottom and back up)."},
        valgus_tile,
        {"label": "Shallow reps", "value": f"{int(s.get('shallow_reps') or 0)} of {reps}",
         "help": "Reps that stayed clearly above parallel (approximate from a front view)."},
        {"label": "Worst rep", "value": f"Rep {int(worst)}" if finite(worst) else "none",
         "help": "The rep with the most serious finding."},
    ]


def possible_note(result: Mapping) -> str | None:
    """``"1 possible — look"`` under the valgus tile (reps whose knees are worth a look, not faults);
    None when there are none."""
    n = faults.possible_valgus_reps(result)
    return f"{n} {faults.POSSIBLE_SHORT}" if n else None


def main_cue(result: Mapping) -> str | None:
    cue = (result.get("summary") or {}).get("main_cue")
    return str(cue) if cue else None


# ------------------------------------------------------------------------------------------------
# Rep table
# ------------------------------------------------------------------------------------------------


def depth_verdict(rep: Mapping) -> str:
    """Side view: ``"OK · 118° knee"`` / ``"Shallow · 85° knee"``; other views ``"≈ OK"`` / ``"≈ Shallow"``
    (an estimate: the 2D knee angle is foreshortened, so no number); ``"not judged"`` when not judged."""
    nj = rep.get("not_judged") or {}
    if "depth" in nj:
        return "not judged"
    metrics = rep.get("metrics") or {}
    side = rep.get("view") == "side"
    verdict = "Shallow" if "shallow" in (rep.get("flags") or []) else "OK"
    flex = metrics.get("knee_flexion_deg")
    if not side:  # from the front the 2D knee angle is foreshortened: no number, and "≈"
        return "≈ " + verdict
    return f"{verdict} · {float(flex):.0f}° knee" if finite(flex) else verdict


def valgus_cell(rep: Mapping, leg: str) -> str:
    """``"caved in (bottom)"`` / ``"possible — look"`` / ``"ok"`` / ``"not judged"`` for ``leg`` in
    ("left", "right"), plus where the knee sat against the toes when the feet were seen
    (``"ok · over the toes"``). "possible" is not a fault (see :mod:`vision.faults`); a possible
    verdict that names no leg is shown on both."""
    verdict = faults.valgus_verdict(rep)
    if not faults.valgus_judged(rep):
        return "not judged"
    v = rep.get("valgus") or {}
    legs = faults.possible_legs(rep)
    if verdict == faults.CLEAR and v.get(leg):
        phase = v.get("phase")
        text = f"caved in ({phase})" if phase else "caved in"
    elif verdict == faults.POSSIBLE and (leg in legs or not legs):
        text = faults.POSSIBLE_SHORT
    else:
        text = "ok"
    toe = knee_toe_text(rep.get("metrics") or {}, leg)
    return f"{text} · {toe}" if toe else text


def other_flags(rep: Mapping) -> str:
    codes = [c for c in (rep.get("flags") or []) if c not in ("knee_valgus", "shallow")]
    return ", ".join(faults.label(c) for c in codes) or "–"


def rep_rows(result: Mapping) -> list[dict]:
    """One row per rep with the :data:`TABLE_COLUMNS` keys (strings/numbers ready to show)."""
    rows = []
    for rep in result.get("reps") or []:
        cues = rep.get("cues") or []
        conf = rep.get("confidence")
        rows.append({
            "Rep": int(rep.get("index") or len(rows) + 1),
            "Time": time_range(rep.get("start_s"), rep.get("end_s")),
            "Verdict": SEVERITY_LABELS.get(rep.get("severity") or "ok", str(rep.get("severity"))),
            "Depth": depth_verdict(rep),
            "Valgus L": valgus_cell(rep, "left"),
            "Valgus R": valgus_cell(rep, "right"),
            "Other flags": other_flags(rep),
            "Confidence": f"{float(conf):.0%}" if finite(conf) else "–",
            "Cue": str(cues[0]) if cues else "",
        })
    return rows


def thumbnail_caption(index: int, rep: Mapping) -> str:
    """The caption under a rep's bottom-of-rep picture: ``"Rep 2 at 3.2 s: Major — <first cue>"``, with
    a possible knee verdict after it (``" · Knees: possible (left) — look at this rep"``)."""
    cues = rep.get("cues") or [""]
    text = (f"Rep {index} at {fmt_seconds(rep.get('bottom_s'))}: {SEVERITY_LABELS.get(rep.get('severity'), '')} — "
            f"{cues[0]}")
    possible = faults.possible_text(rep)
    if possible:
        text += f" · {possible} at this rep"
    return text


def rep_table(result: Mapping) -> pd.DataFrame:
    return pd.DataFrame(rep_rows(result), columns=TABLE_COLUMNS)


def severity_css(value: Any) -> str:
    """CSS for a Verdict cell ("OK"/"Minor"/"Major", or the raw severity code); "" otherwise."""
    sev = _LABEL_TO_SEVERITY.get(str(value), str(value))
    return SEVERITY_CSS.get(sev, "")


def cell_css(value: Any) -> str:
    """CSS for the Depth / Valgus cells: amber for a shallow rep, red for a caved-in knee, pale
    yellow italic for a possible one (not a fault)."""
    text = str(value)
    if text.startswith("caved in"):
        return SEVERITY_CSS["major"]
    if text.startswith(faults.POSSIBLE_SHORT):
        return POSSIBLE_CSS
    if "Shallow" in text:
        return SEVERITY_CSS["minor"]
    return ""


def styled_rep_table(result: Mapping):
    """The rep table as a pandas ``Styler`` with colour-coded verdict cells (ok green, minor amber, major red)."""
    df = rep_table(result)
    styler = df.style.map(severity_css, subset=["Verdict"])
    return styler.map(cell_css, subset=["Depth", "Valgus L", "Valgus R"])


# ------------------------------------------------------------------------------------------------
# Chart data
# ------------------------------------------------------------------------------------------------

CHART_PANELS = (
    # panel, y-axis title, series (name, signal attribute, column or None)
    ("Knee flexion", "degrees", (("Left knee", "knee_flexion", 0), ("Right knee", "knee_flexion", 1))),
    ("KASR (knee ÷ ankle width)", "ratio", (("KASR", "kasr", None),)),
    ("Depth signal (0 standing, about 0.5 at parallel)", "depth", (("Depth", "depth", None),)),
)
# panel → (threshold key, label)
PANEL_RULES = {
    "Knee flexion": ("parallel_knee_flexion", "parallel ≈ {v:g}°"),
    "KASR (knee ÷ ankle width)": ("kasr_min", "valgus below {v:g}"),
    "Depth signal (0 standing, about 0.5 at parallel)": ("rep_min_depth", "min rep depth {v:g}"),
}


def _series(signals: Any, attr: str, col: int | None) -> np.ndarray | None:
    arr = getattr(signals, attr, None) if not isinstance(signals, Mapping) else signals.get(attr)
    if arr is None:
        return None
    arr = np.asarray(arr, dtype=float)
    if col is not None:
        if arr.ndim != 2 or arr.shape[1] <= col:
            return None
        arr = arr[:, col]
    return arr


def chart_panels(result: Mapping) -> list[str]:
    """The signal panels worth showing for this result.

    KASR (knee ÷ ankle width) only means something from the front: it is shown when some rep had
    its valgus judged, or, with no reps, when the clip is a front view.
    """
    reps = result.get("reps") or []
    if reps:
        kasr = any(faults.valgus_judged(r) for r in reps)
    else:
        kasr = result.get("view") == "front"
    return [p for p, _, _ in CHART_PANELS if kasr or not p.startswith("KASR")]


def chart_frame(signals: Any, *, max_points: int = 600, panels: list[str] | None = None) -> pd.DataFrame:
    """Long-form chart data ``[t, value, series, panel]`` from ``analysis.signals`` (object or mapping).

    Frames where the lower body was not seen well (``valid`` False) become gaps (NaN). Long clips
    are thinned to about ``max_points`` samples per series so the browser chart stays light.
    ``panels`` limits the output to those panel names (see :func:`chart_panels`).
    Returns an empty frame (same columns) when there are no signals.
    """
    cols = ["t", "value", "series", "panel"]
    t = _series(signals, "t", None) if signals is not None else None
    if t is None or len(t) == 0:
        return pd.DataFrame(columns=cols)
    valid = _series(signals, "valid", None)
    mask = np.ones(len(t), bool) if valid is None else valid.astype(bool)
    step = max(1, int(math.ceil(len(t) / max_points)))
    idx = np.arange(0, len(t), step)
    parts = []
    for panel, _, series in CHART_PANELS:
        if panels is not None and panel not in panels:
            continue
        for name, attr, col in series:
            y = _series(signals, attr, col)
            if y is None or len(y) != len(t):
                continue
            y = np.where(mask & np.isfinite(y), y, np.nan)
            parts.append(pd.DataFrame({"t": t[idx], "value": y[idx], "series": name, "panel": panel}))
    if not parts:
        return pd.DataFrame(columns=cols)
    df = pd.concat(parts, ignore_index=True)
    df["t"] = df["t"].round(3)
    return df[cols]


def rep_bands(result: Mapping) -> pd.DataFrame:
    """One row per rep: ``[start_s, end_s, rep, severity, label]`` for shaded bands on the chart."""
    rows = [{"start_s": float(r["start_s"]), "end_s": float(r["end_s"]), "rep": int(r.get("index") or i + 1),
             "severity": r.get("severity") or "ok", "label": f"Rep {int(r.get('index') or i + 1)}"}
            for i, r in enumerate(result.get("reps") or [])
            if finite(r.get("start_s")) and finite(r.get("end_s"))]
    return pd.DataFrame(rows, columns=["start_s", "end_s", "rep", "severity", "label"])


def threshold_rules(result: Mapping) -> pd.DataFrame:
    """Horizontal threshold lines per chart panel: ``[panel, value, label]`` (from ``result["thresholds"]``).

    The parallel knee angle is drawn only for a side view: from the front the 2D knee angle is
    foreshortened and never gets near it.
    """
    ths = result.get("thresholds") or {}
    rows = []
    for panel, (key, label) in PANEL_RULES.items():
        if key == "parallel_knee_flexion" and result.get("view") != "side":
            continue
        th = ths.get(key) or {}
        if finite(th.get("value")):
            v = float(th["value"])
            rows.append({"panel": panel, "value": v, "label": label.format(v=v)})
    return pd.DataFrame(rows, columns=["panel", "value", "label"])


# ------------------------------------------------------------------------------------------------
# Thresholds and norms (settings)
# ------------------------------------------------------------------------------------------------


def threshold_rows(thresholds: Mapping[str, Mapping]) -> list[dict]:
    """``Thresholds().to_dict()`` → ``[{"name", "value", "unit", "source", "heuristic"}]`` in definition order."""
    rows = []
    for name, th in thresholds.items():
        source = str(th.get("source", ""))
        rows.append({"name": name, "value": th.get("value"), "unit": str(th.get("unit", "")), "source": source,
                     "heuristic": source.startswith("[heuristic]")})
    return rows


def threshold_markdown(thresholds: Mapping[str, Mapping]) -> str:
    """A compact Markdown list: ``- **kasr_min** = 0.8 ratio — source``."""
    lines = []
    for row in threshold_rows(thresholds):
        v = row["value"]
        value = f"{v:g}" if finite(v) else str(v)
        lines.append(f"- **{row['name']}** = {value} {row['unit']} — {row['source']}")
    return "\n".join(lines)


def single_leg_norm(thresholds: Mapping[str, Mapping], sex: str) -> list[str]:
    """The single-leg FPPA norm the engine judges with for ``sex`` ("female", "male" or "not specified").

    Not specified uses the women's bound, the higher of the two, so nobody is over-flagged
    (``vision.assess``).
    """
    fem = (thresholds.get("fppa_single_leg_female") or {}).get("value")
    male = (thresholds.get("fppa_single_leg_male") or {}).get("value")
    if sex == "male" and finite(male):
        return [f"Single-leg FPPA norm (men): up to {float(male):g}°"]
    if sex == "female" and finite(fem):
        return [f"Single-leg FPPA norm (women): up to {float(fem):g}°"]
    if finite(fem):
        men = f"; men's norm is {float(male):g}°" if finite(male) else ""
        return [f"Single-leg FPPA norm: up to {float(fem):g}° (sex not specified: the higher, women's bound is used, "
                f"so nobody is over-flagged{men})"]
    return []


def engine_sex(sex: str) -> str | None:
    """The settings' choice as the engine's ``sex`` argument: "female" / "male" / None."""
    return sex if sex in ("female", "male") else None


# ------------------------------------------------------------------------------------------------
# Live page
# ------------------------------------------------------------------------------------------------


def parse_ice_servers(raw: str | None) -> tuple[list[dict], str | None]:
    """``SQUATCHECK_ICE_SERVERS`` (JSON) → (ice server list, error message or None).

    Accepts a list (``[{"urls": ["stun:..."]}]``) or an object with an ``iceServers`` list.
    Empty/unset gives ``[]`` (host candidates only: fine on localhost and a LAN).
    """
    if raw is None or not str(raw).strip():
        return [], None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        return [], f"SQUATCHECK_ICE_SERVERS is not valid JSON ({exc.msg}); using no STUN/TURN servers."
    if isinstance(value, Mapping):
        value = value.get("iceServers")
    if not isinstance(value, list) or not all(isinstance(s, Mapping) and "urls" in s for s in value):
        return [], ("SQUATCHECK_ICE_SERVERS must be a JSON list like [{\"urls\": [\"stun:host:3478\"]}]; "
                    "using no STUN/TURN servers.")
    return [dict(s) for s in value], None


def live_summary(rep_count: int, last_rep: Mapping | None) -> dict:
    """What the live page prints under the video: ``{"reps", "verdict", "severity", "tone", "cue"}``.

    The verdict wording is the video overlay's (``vision.overlay.verdict_text``), so the text under
    the video and the banner on it say the same thing. ``tone`` picks the box: the severity, except
    "possible" for a rep whose only finding is a possible knee verdict (not a fault, so neither a
    green "good" box nor a warning).
    """
    if not last_rep:
        return {"reps": int(rep_count or 0), "verdict": "No rep yet", "severity": "ok", "tone": "ok", "cue": None}
    from vision.overlay import verdict_text

    cues = last_rep.get("cues") or []
    severity = last_rep.get("severity") or "ok"
    possible = faults.valgus_verdict(last_rep) == faults.POSSIBLE
    return {"reps": int(rep_count or 0),
            "verdict": verdict_text(last_rep) or "Good rep",
            "severity": severity,
            "tone": "possible" if possible and severity == "ok" else severity,
            "cue": str(cues[0]) if cues else None}


# ------------------------------------------------------------------------------------------------
# Spoken feedback (live page)
# ------------------------------------------------------------------------------------------------

# a few words a lifter can take in mid-set, 3 m from the screen; one per fault
SPOKEN_CUES = {code: f.spoken for code, f in faults.FAULTS.items()}
SPOKEN_MAX_CUES = 2
_SEVERITY_RANK = {"ok": 0, "minor": 1, "major": 2}


def spoken_feedback(rep: Mapping, say_number: bool = False) -> dict:
    """What the live page says after a rep: ``{"text": str | None, "beep": bool}``.

    A rep with a fault: its short cue(s), most serious first (at most two, e.g. "Knees out. Go
    deeper."). A clean rep (no flag): no words, a beep. Only flags are spoken: a "possible" knee
    verdict is not a flag, so it is never said (such a rep beeps like a clean one). ``say_number``
    puts the rep number first ("3. Knees out.", or just "3." before the beep).
    """
    details = [d for d in (rep.get("flag_details") or []) if isinstance(d, Mapping) and d.get("code")]
    order = {d["code"]: _SEVERITY_RANK.get(str(d.get("severity")), 1) for d in details}
    codes = [c for c in (rep.get("flags") or []) if c in SPOKEN_CUES]
    codes = sorted(dict.fromkeys(codes), key=lambda c: -order.get(c, 1))  # stable: the engine's order on ties
    words = [SPOKEN_CUES[c] + "." for c in codes[:SPOKEN_MAX_CUES]]
    if say_number and finite(rep.get("index")):
        words.insert(0, f"{int(rep['index'])}.")
    return {"text": " ".join(words) or None, "beep": not rep.get("flags")}
