"""Data shaping for the Screening page (pure functions: no Streamlit, no database access).

The screening itself is :func:`trainer.screening.build_screening`'s dict; here it is turned into the
rows and short texts the page shows. Every string that reaches a Markdown place goes through
:func:`ui.clients_presenters.md_text` on the page (names, notes, file names, the findings' own texts:
``~2.5 cm`` would otherwise strike text through), so these functions return plain text.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Mapping, Sequence

from trainer.screening import clips, protocol
from trainer.screening.retest import MEASURES, NOT_COMPARABLE
from trainer.screening.sources import GRADE_WORDS
from ui.clients_presenters import fmt_dt, slug

__all__ = [
    "HEELS_NEEDED", "HEELS_NOT_NEEDED", "HEELS_OPTIONAL", "HEELS_UNKNOWN", "PAIN_CHOICES", "STATUS_WORDS",
    "branch_measure_rows", "category_rows", "comparison_counts", "comparison_rows", "findings_rows", "grade_text",
    "handout_file_name", "heels_offer", "history_rows", "knee_to_wall", "pain_answer", "plan_rows",
    "report_file_name", "screened_at", "screening_label", "step_howto", "step_label", "trend_rows",
]

STATUS_WORDS = {"fault": "found", "possible": "possible / fair", "ok": "OK", "not_concluded": "not concluded",
                "refer": "see a clinician"}
CLIENT_KEY = "scr_client"  # the Screening page's client picker; the Clients page sets it to open a screening
PAIN_CHOICES = ("No", "Yes")  # the radio's options; nothing chosen = "not asked"

HEELS_NEEDED, HEELS_OPTIONAL, HEELS_NOT_NEEDED, HEELS_UNKNOWN = "needed", "optional", "not_needed", "unknown"


def step_label(step: protocol.Step) -> str:
    """"Step 3 · Heels-raised squat from the front" (numbered as the protocol orders them)."""
    return f"Step {protocol.STEP_IDS.index(step.id) + 1} · {step.title}"


def step_howto(step: protocol.Step) -> list[str]:
    """How to film a step, one short line each: camera, what to do, reps, when it is needed."""
    lines = [f"Camera: {'from the front' if step.camera == 'front' else 'from the side (90 degrees)'}",
             f"What to do: {step.instructions}", f"Reps: {step.reps}"]
    if step.when != "always":
        lines.append(f"When: {step.when}")
    return lines


def heels_offer(front: Mapping[str, Any] | None) -> tuple[str, str]:
    """Whether step 3 (heels raised) is offered, from step 1's analysis (None: not analysed yet), and why.

    ``needed`` when the knees caved in as a pattern, ``optional`` when the caving was only possible (the
    test may then give no clear conclusion), ``not_needed`` when every judged rep was fine, ``unknown``
    before step 1 is analysed or when its knees could not be judged."""
    if front is None:
        return HEELS_UNKNOWN, ("Film it only when the knees caved in in step 1. Upload it now if you already know, "
                               "or analyse step 1 first: the page then says whether it is needed.")
    ok, why = clips.usable(front)
    if not ok:
        return HEELS_UNKNOWN, f"Step 1 {why}, so it is not known whether this step is needed."
    p = clips.knee_pattern(clips.reps(front))
    if p["status"] == clips.CLEAR:
        return HEELS_NEEDED, (f"Needed: the knees caved in on {p['clear']} of {p['judged']} judged reps in step 1. "
                              "This test tells the ankle from the hip.")
    if p["status"] == clips.POSSIBLE:
        return HEELS_OPTIONAL, (f"Optional: in step 1 the caving was clear on {p['clear']} and possible on "
                                f"{p['possible']} of {p['judged']} reps, not a clear pattern; the test may not "
                                "conclude.")
    if p["status"] == clips.NONE:
        return HEELS_NOT_NEEDED, "Not needed: the knees did not cave in in step 1."
    return HEELS_UNKNOWN, "Step 1 could not judge the knees (camera angle or size): re-film step 1 from the front."


def knee_to_wall(left: float | None, right: float | None) -> tuple[float | None, float | None] | None:
    """The two number inputs as ``build_screening``'s ``knee_to_wall_cm`` (None when neither was entered)."""
    return None if left is None and right is None else (left, right)


def pain_answer(choice: str | None) -> bool | None:
    """The pain radio: "Yes" -> True, "No" -> False, nothing chosen -> None (not asked)."""
    return {"Yes": True, "No": False}.get(choice) if choice else None


def screened_at(day: date) -> datetime:
    """When a screening filmed on ``day`` is stored (local noon, as the command line does)."""
    return datetime.combine(day, time(12, 0))


def grade_text(grade: str | None) -> str:
    """"moderate (moderate research evidence)"."""
    if not grade:
        return "n/a"
    words = GRADE_WORDS.get(grade)
    return f"{grade} ({words})" if words and words != grade else grade


def _sources_text(sources: Sequence[Mapping[str, Any]]) -> str:
    return "; ".join(str(s.get("citation") or s.get("id")) for s in sources or [])


def findings_rows(screening: Mapping[str, Any], *, detail: bool = False) -> list[dict[str, str]]:
    """One row per finding: what it is, the result in words, what was seen; with ``detail``: the measurement
    error, the evidence grade and the sources instead of what was seen."""
    rows = []
    for f in screening.get("findings") or []:
        row = {"Finding": f["title"], "Result": STATUS_WORDS.get(f["status"], f["status"])}
        if detail:
            row.update({"Measurement error": f.get("error") or "n/a", "Evidence": grade_text(f.get("grade")),
                        "Sources": _sources_text(f.get("sources") or []) or "n/a"})
        else:
            row["What was seen"] = f["observation"]
        rows.append(row)
    return rows


def branch_measure_rows(branch: Mapping[str, Any]) -> list[dict[str, str]]:
    """The heels-raised test's measures, flat vs heels raised, each against its clip-to-clip error."""
    names = {"foot_line": "Knee inside its foot line", "kasr": "Knee/ankle width ratio"}
    rows = []
    for m in branch.get("measures") or []:
        leg = "" if m.get("leg") in (None, "both") else f", {m['leg']}"
        rows.append({"Measure": names.get(m["measure"], m["measure"]) + leg, "Flat": f"{m['flat']:g}",
                     "Heels raised": f"{m['heels_raised']:g}", "Change": f"{m['change']:+g}",
                     "Clip-to-clip error": f"±{m['error']:g}", "Reading": m["reading"]})
    return rows


def plan_rows(screening: Mapping[str, Any]) -> list[dict[str, str]]:
    """The plan's exercises, each with why (the findings that chose it), dose, regression/progression,
    evidence grade and sources."""
    rows = []
    for i in (screening.get("plan") or {}).get("items") or []:
        grade = grade_text(i.get("grade")) + (f"; {i['grade_note']}" if i.get("grade_note") else "")
        rows.append({"Exercise": i["name"], "Purpose": i["purpose"], "Chosen because": i["because"],
                     "Dose": i["dose"], "Regression": i["regression"], "Progression": i["progression"],
                     "Evidence": grade, "Sources": _sources_text(i.get("sources") or [])})
    return rows


def _fmt(value: Any, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "share of reps":
        return f"{value * 100:.0f} %"
    return f"{value:g} {unit}" if unit in ("cm", "deg") else f"{value:g}"


def comparison_rows(comparison: Mapping[str, Any]) -> list[dict[str, str]]:
    """A re-screen against the last one, measure by measure: previous, now, change, the error it is judged
    against, and the verdict (real only beyond the error). Measures in neither screening are left out."""
    rows = []
    for e in comparison.get("entries") or []:
        if e["previous"] is None and e["current"] is None:
            continue
        unit = e.get("unit") or ""
        change = "n/a" if e.get("change") is None else (
            f"{e['change'] * 100:+.0f} points" if unit == "share of reps" else f"{e['change']:+g}")
        error = "n/a" if e.get("error") is None else (
            f"±{e['error'] * 100:.0f} points" if unit == "share of reps" else f"±{e['error']:g}")
        rows.append({"Measure": e["label"], "Previous": _fmt(e["previous"], unit), "Now": _fmt(e["current"], unit),
                     "Change": change, "Error": f"{error} ({e['basis']})", "Verdict": e["verdict"]})
    return rows


def category_rows(comparison: Mapping[str, Any]) -> list[dict[str, str]]:
    """The categories (the heels-raised branch, the single-leg ratings) side by side, never called a change."""
    return [{"Result": c["label"], "Previous": c.get("previous") or "n/a", "Now": c.get("current") or "n/a",
             "Note": c.get("note") or ""} for c in comparison.get("categories") or []]


def comparison_counts(comparison: Mapping[str, Any]) -> dict[str, int]:
    """How many measures changed for real, how many were within the error, how many were not comparable."""
    out = {"real": 0, "not meaningful": 0, "not comparable": 0}
    for e in comparison.get("entries") or []:
        if e["verdict"] == NOT_COMPARABLE:
            out["not comparable"] += 1
        elif e.get("real"):
            out["real"] += 1
        else:
            out["not meaningful"] += 1
    return out


def trend_rows(trend: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """``trainer.screening.trend`` rows (oldest first) as a table: a column per measure any screening has."""
    keys = [k for k in MEASURES if any(r.get(k) is not None for r in trend)]
    rows = []
    for r in trend:
        row = {"Screened on": str(r.get("screened_on") or "n/a"),
               "Heels-raised test": str(r.get("branch") or "n/a").replace("_", " "),
               "Pain: see a clinician": "yes" if r.get("referral") else "no"}
        for k in keys:
            label, unit = MEASURES[k][0], MEASURES[k][1]
            row[f"{label} ({unit})"] = "n/a" if r.get(k) is None else f"{r[k]:g}"
        if any(x.get("front_clear_share") is not None for x in trend):
            share = r.get("front_clear_share")
            row["Front-squat reps caving"] = "n/a" if share is None else f"{share * 100:.0f} %"
        for leg in ("left", "right"):
            row[f"Single-leg, {leg}"] = r.get(f"single_leg_{leg}") or "n/a"
        row["Plan"] = ", ".join(r.get("plan") or []) or ("withheld" if r.get("referral") else "none")
        rows.append(row)
    return rows


def history_rows(records: Sequence[Any]) -> list[dict[str, str]]:
    """Saved screenings (``trainer.store.ScreeningRecord``), newest first."""
    rows = []
    for rec in reversed(list(records)):
        branch = ((rec.result or {}).get("branch") or {}).get("title") or str(rec.branch or "n/a")
        rows.append({"#": str(rec.id), "Screened on": str((rec.result or {}).get("screened_on")
                                                            or fmt_dt(rec.screened_at, with_time=False)),
                     "Heels-raised test": branch, "Pain": "yes: see a clinician" if rec.referral else "no",
                     "Re-test on": rec.retest_on or "n/a", "Notes": rec.notes or ""})
    return rows


def screening_label(rec: Any) -> str:
    """A saved screening in a picker: "#3 · 2026-12-07 · Ankle mobility probably contributes"."""
    title = ((rec.result or {}).get("branch") or {}).get("title") or str(rec.branch or "")
    return f"#{rec.id} · {(rec.result or {}).get('screened_on') or fmt_dt(rec.screened_at, with_time=False)} · {title}"


def report_file_name(client_name: str | None, screened_on: str) -> str:
    return f"screening_{slug(client_name or '', 'client')}_{screened_on}.pdf"


def handout_file_name(client_name: str | None, screened_on: str) -> str:
    return f"squat_check_{slug(client_name or '', 'client')}_{screened_on}.pdf"
