"""The screening as PDF: a trainer's report (numbers, error bands, sources) and a one-page client handout.

Uses the session report's machinery (``trainer.pdf_report._ReportPDF``: fonts, footer disclaimer, tables
whose colours always come with words). Returns bytes; nothing is written here.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from trainer import pdf_report as base
from trainer.screening import findings as fx

# status -> the session report's cell fill codes (colour and word always together)
_STATUS_FILL = {fx.FAULT: base._WARN, fx.POSSIBLE: base._MAYBE, fx.OK: base._OK, fx.NOT_CONCLUDED: base._NA,
                fx.REFER: base._BAD}
_STATUS_WORD = {fx.FAULT: "found", fx.POSSIBLE: "possible / fair", fx.OK: "OK", fx.NOT_CONCLUDED: "not concluded",
                fx.REFER: "see a clinician"}
_BRANCH_PLAIN = {
    "ankle": "With your heels raised your knees stayed in line, so stiff ankles probably play a part.",
    "hip_control": "With your heels raised your knees still moved in, so control at the hips and trunk is the thing "
                   "to train.",
    "no_clear_conclusion": "The follow-up test gave no clear answer, so the plan works on hips and ankles together.",
}


def _pdf(title: str) -> base._ReportPDF:
    pdf = base._ReportPDF()
    pdf.set_title(title)
    pdf.alias_nb_pages()
    pdf.add_page()
    return pdf


def _num(v: Any, digits: int = 2) -> str:
    return "n/a" if v is None else (f"{v:+.{digits}f}" if isinstance(v, float) and v < 0 else
                                    (f"{v:.{digits}f}" if isinstance(v, float) else str(v)))


def _trainer_pages(pdf: base._ReportPDF, s: Mapping[str, Any], client_name: str | None,
                   comparison: Mapping[str, Any] | None) -> None:
    pdf.h1("Guided screening: trainer's report")
    pdf.kv("Client", client_name or "not recorded")
    pdf.kv("Screened on", s["screened_on"])
    pdf.kv("Re-test on", f"{s['retest_on']} (4 weeks: re-assess every 4-6 weeks)")
    steps = "; ".join(f"{st['title']}: {st['status']}" + (f" ({st['file']})" if st.get("file") else "")
                      for st in s["steps"])
    pdf.kv("Steps", steps)
    ktw = (s.get("hand_entries") or {}).get("knee_to_wall_cm")
    pdf.kv("Knee-to-wall", f"left {ktw['left']} cm, right {ktw['right']} cm" if ktw else "not measured")
    pain = s["hand_entries"].get("pain")
    pdf.kv("Pain", {True: "yes" + (f" ({s['hand_entries']['pain_where']})" if s["hand_entries"]["pain_where"] else ""),
                    False: "no", None: "not asked"}[pain])
    pdf.ln(1)
    pdf.para(s["disclaimer"], size=8.5, color=(90, 90, 90))
    if s["referral"]["refer"]:
        pdf.h2("Pain: see a clinician")
        pdf.para(s["referral"]["text"], style="B")

    b = s["branch"]
    pdf.h2(f"Heels-raised test: {b['title']}")
    pdf.bullets(b["reasons"])
    if b.get("measures"):
        rows = [[(m["measure"].replace("_", " ") + ("" if m["leg"] == "both" else f" ({m['leg']})"), None),
                 (_num(m["flat"]), None), (_num(m["heels_raised"]), None), (_num(m["change"]), None),
                 (f"±{m['error']}", None),
                 (m["reading"], base._OK if m["reading"] == "better" else base._NA)] for m in b["measures"]]
        pdf.status_table(("Measure", "Flat", "Heels raised", "Change", "Clip-to-clip error", "Reading"), rows,
                         (42, 22, 24, 22, 32, 38))
        pdf.para("Errors: " + "; ".join(sorted({m["error_basis"] for m in b["measures"]})) + ".", size=8,
                 color=(90, 90, 90))
    pdf.para(f"Evidence: {b['grade']} (" + "; ".join(x["citation"] for x in b["sources"]) + ").", size=8,
             color=(90, 90, 90))

    pdf.h2("Findings")
    rows = [[(f["title"], None), (_STATUS_WORD[f["status"]], _STATUS_FILL[f["status"]]), (f["observation"], None),
             (f["grade"], None)] for f in s["findings"] if f["id"] != "heel_lift"]
    pdf.status_table(("Finding", "Result", "What was seen, with its error", "Evidence"), rows, (40, 24, 92, 24))
    pdf.ln(1.5)
    extra = []
    for f in s["findings"]:
        if f.get("error") and f["status"] in (fx.FAULT, fx.POSSIBLE):
            extra.append(f"{f['title']}: error: {f['error']}")
        if f.get("convention"):
            extra.append(f"{f['title']}: {f['convention']}")
        if f.get("next"):
            extra.append(f"{f['title']}: next test: {f['next']}")
    if extra:
        pdf.bullets(extra)

    pdf.h2("Plan")
    plan = s["plan"]
    if plan["withheld"]:
        pdf.para(plan["withheld"], style="B")
    elif not plan["items"]:
        pdf.para(plan["note"])
    for i, item in enumerate(plan["items"], 1):
        pdf.use_font("B", 10)
        pdf.multi_cell(0, 5.2, pdf.t(f"{i}. {item['name']}  [evidence: {item['grade']}]"), new_x=base.XPos.LMARGIN,
                       new_y=base.YPos.NEXT)
        pdf.kv("Because", f"{item['because']} (findings: {', '.join(item['for_findings'])})", label_w=28)
        for label, key in (("Purpose", "purpose"), ("Dose", "dose"), ("Regression", "regression"),
                           ("Progression", "progression"), ("Evidence", "grade_note")):
            if item.get(key):
                pdf.kv(label, item[key], label_w=28)
        pdf.kv("Sources", ", ".join(x["id"] for x in item["sources"]), label_w=28)
        pdf.ln(1)
    pdf.h2("What the evidence does not support")
    pdf.bullets([n["text"] + " (" + ", ".join(x["id"] for x in n["sources"]) + ")" for n in plan["not_supported"]])
    if s["not_concluded"]:
        pdf.h2("Could not be concluded")
        pdf.bullets([f"{n['title']}: {n['why']}" for n in s["not_concluded"]])
    if comparison:
        _comparison(pdf, comparison)
    pdf.h2("Sources")
    for src in s["sources"]:
        pdf.para(f"[{src['id']}] {src['citation']}" + (f". {src['url']}" if src["url"] else ""), size=7.5)


def _comparison(pdf: base._ReportPDF, c: Mapping[str, Any]) -> None:
    pdf.h2(f"Re-test: {c.get('previous_date')} -> {c.get('current_date')}")
    rows = []
    for e in c["entries"]:
        real = e["real"]
        rows.append([(e["label"], None), (_num(e["previous"]), None), (_num(e["current"]), None),
                     (_num(e["change"]), None), (f"±{e['error']}" if e["error"] is not None else "n/a", None),
                     (e["verdict"], base._OK if real and "improved" in e["verdict"] else
                      (base._WARN if real else base._NA))])
    pdf.status_table(("Measure", "Before", "Now", "Change", "Error", "Verdict"), rows, (52, 18, 18, 18, 22, 52))
    pdf.ln(1)
    pdf.bullets([f"{x['label']}: {x['previous'] or 'n/a'} -> {x['current'] or 'n/a'} ({x['note']})"
                 for x in c["categories"]])
    pdf.para("A change is called real only beyond its measurement error; 'not meaningful' means it may be noise. "
             "Knees still caving at a re-test do not mean the program failed (Lima 2023).", size=8, color=(90, 90, 90))


def _plain_findings(s: Mapping[str, Any]) -> list[str]:
    """What was seen, in the client's words (only what was found, plus the branch)."""
    by = {f["id"]: f for f in s["findings"]}
    out = []
    k = by.get("knees_front")
    if k and k["status"] in (fx.FAULT, fx.POSSIBLE):
        n = k["numbers"]
        out.append(f"Your knees moved inwards as you squatted ({n['clear']} of {n['judged']} squats)."
                   if k["status"] == fx.FAULT else "Your knees may have moved inwards on some squats (not clearly).")
    if s["branch"]["branch"] in _BRANCH_PLAIN:
        out.append(_BRANCH_PLAIN[s["branch"]["branch"]])
    for leg in ("left", "right"):
        f = by.get(f"knee_to_wall_{leg}")
        if f and f["status"] == fx.FAULT:
            out.append(f"Your {leg} ankle bends less than it could ({f['numbers']['cm']:g} cm from the wall).")
        sl = by.get(f"single_leg_{leg}")
        if sl and sl["status"] == fx.FAULT:
            out.append(f"Squatting on your {leg} leg, the knee moved inwards.")
    def side(fid: str, key: str) -> str | None:
        return (by.get(fid) or {}).get("numbers", {}).get(key)

    other = {"left": "right", "right": "left"}
    words = {"knee_to_wall_difference": (f"Your {side('knee_to_wall_difference', 'lower_side')} ankle bends clearly "
                                         f"less than your {other.get(side('knee_to_wall_difference', 'lower_side'))}."
                                         if side("knee_to_wall_difference", "lower_side") else
                                         "One ankle bends clearly less than the other."),
             "forward_lean": "You leaned forward a lot as you squatted.", "heel_rise": "Your heels lifted.",
             "lateral_shift": (f"Your hips shifted to the {side('lateral_shift', 'toward')}."
                               if side("lateral_shift", "toward") else "Your hips shifted to one side."),
             "asymmetry": (f"Your {side('asymmetry', 'worse_side')} knee moved in more than your "
                           f"{other.get(side('asymmetry', 'worse_side'))}." if side("asymmetry", "worse_side")
                           else "One knee moved in more than the other.")}
    for fid, text in words.items():
        if by.get(fid, {}).get("status") == fx.FAULT:
            out.append(text)
    return out or ["Nothing stood out in the squat today."]


def _handout(pdf: base._ReportPDF, s: Mapping[str, Any], client_name: str | None) -> None:
    pdf.h1("Your squat check" + (f": {client_name}" if client_name else ""))
    pdf.para(f"Checked on {s['screened_on']}. Next check: {s['retest_on']}.", size=11, style="B")
    if s["referral"]["refer"]:
        pdf.h2("Please see a clinician first")
        pdf.para("You told us the squat hurt. Please see a physiotherapist or a doctor about it before starting "
                 "exercises for it. We have not given you an exercise plan for now.", size=11)
    pdf.h2("What we saw")
    pdf.bullets(_plain_findings(s))
    if not s["referral"]["refer"] and s["plan"]["items"]:
        pdf.h2("Your exercises (2-3 days a week)")
        for item in s["plan"]["items"]:
            pdf.use_font("B", 10.5)
            pdf.multi_cell(0, 5.5, pdf.t(item["name"]), new_x=base.XPos.LMARGIN, new_y=base.YPos.NEXT)
            pdf.para(f"Why: {item['client_why']}", size=9.5)
            pdf.para(f"How: {item['client_how']}", size=9.5)
            pdf.ln(1)
    pdf.h2("Good to know")
    pdf.bullets(["This is a check of how you moved today, not a diagnosis.",
                 "Knees moving inwards do not mean you will get injured.",
                 "Stop any exercise that hurts, and tell your trainer.",
                 f"We will check again on {s['retest_on']}: small changes may be measurement noise, so we only "
                 "count changes bigger than the test's error."])


def render_screening_pdf(screening: Mapping[str, Any], *, client_name: str | None = None,
                         comparison: Mapping[str, Any] | None = None, handout: bool = True) -> bytes:
    """The trainer's report (and, with ``handout``, the client's one-page handout on a page of its own after it)."""
    pdf = _pdf("Guided screening report")
    _trainer_pages(pdf, screening, client_name, comparison)
    if handout:
        pdf.add_page()
        _handout(pdf, screening, client_name)
    return bytes(pdf.output())


def render_handout_pdf(screening: Mapping[str, Any], *, client_name: str | None = None) -> bytes:
    """The client's handout alone (one page)."""
    pdf = _pdf("Your squat check")
    _handout(pdf, screening, client_name)
    return bytes(pdf.output())


def pages(pdf_bytes: bytes) -> int:
    """How many pages a PDF has (for checks that the handout stays on one page)."""
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf_bytes)).pages)


__all__: Sequence[str] = ("render_handout_pdf", "render_screening_pdf")
