"""Page: a guided screening for a client (issue 22).

The protocol's steps (``trainer.screening.protocol``), each with how to film it and its own upload (any step
may be left empty: skipped), the trainer's hand entries (knee-to-wall per side, pain and where), one button
that analyses the clips as the Analyse page does (``vision.analysis.analyze_video`` with the step's profile,
a progress bar, errors in words), then :func:`trainer.screening.build_screening`'s findings, branch, plan
and re-test date; the comparison with the client's last screening (``compare_screenings``), the PDFs (the
trainer's report and the client's handout, ``trainer.screening.pdf``), "Save to the client" and the
client's earlier screenings with their trend. The logic is all in ``trainer/screening``; the tables'
shaping in :mod:`ui.screening_presenters`. Names, notes, file names and the screening's texts are shown
as plain text (:func:`ui.clients_presenters.md_text`).

Uploads: each step's clip is written to this browser session's private temp folder, analysed and deleted
at once; only the engine's result dict is kept (per content + step profile + settings, so a widget click
or a re-screen with the same clip does not analyse it again). The session may hold one upload per step
(``ui.upload_guard.allow(..., max_files=5)``).
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # run as a page file: make `ui` / `vision` / `trainer` importable
    sys.path.insert(0, str(_ROOT))

import hashlib  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
from collections import OrderedDict  # noqa: E402
from datetime import date  # noqa: E402
from typing import Any, Mapping  # noqa: E402

import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from trainer.screening import protocol  # noqa: E402
from trainer.store import ClientRecord, Store  # noqa: E402
from ui import auth, presenters, results_view, settings as ui_settings, upload_guard  # noqa: E402
from ui import screening_presenters as SP  # noqa: E402
from ui.clients_presenters import md_text  # noqa: E402
from ui.downloads import private_download_button  # noqa: E402
from ui.results_view import public_text, show_unexpected_error  # noqa: E402
from ui.store_actions import act, flash, plain, show_flash  # noqa: E402
from vision.errors import SquatCheckError, VideoReadError  # noqa: E402

log = logging.getLogger("squatcheck.ui.screening")

K = "scr_"  # prefix of every widget / session-state key on this page
CLIENT_KEY = SP.CLIENT_KEY  # the chosen client (the Clients page sets it to open a screening for one)
UPLOAD_TYPES = ["mp4", "mov", "m4v", "webm", "avi", "mkv"]
MAX_FILES = len(protocol.STEPS)  # one upload per step (ui.upload_guard caps it at MAX_FILES_CAP)
CACHE_ENTRIES = 12  # analysed steps kept per browser session (result dicts only)
_CACHE = K + "cache"  # OrderedDict: (sha, the step's AnalysisOptions) -> {"result"} or {"error"}
_NONCE = K + "nonce"  # a new screening: fresh widget keys
_REQUESTED = K + "requested"  # the analyse button was pressed for this screening
_SAVED = K + "saved"  # {fingerprint: (screening id, message)} saved in this screening
_FLASH = K + "flash"
_SHA = K + "sha_"  # + step id: (file id, sha256) of that step's upload

__all__ = ["render"]


# --------------------------------------------------------------------------- state helpers


def _nonce() -> int:
    return int(st.session_state.get(_NONCE, 0))


def _k(name: str) -> str:
    """A widget key of the current screening (a new screening gets new, empty widgets)."""
    return f"{K}{_nonce()}_{name}"


def _cache() -> OrderedDict:
    cache = st.session_state.get(_CACHE)
    if not isinstance(cache, OrderedDict):
        cache = OrderedDict()
        st.session_state[_CACHE] = cache
    return cache


def _flash(kind: str, text: str) -> None:
    flash(_FLASH, kind, text)


def _show_flash() -> None:
    show_flash(_FLASH)


def _act(action: str, fn) -> None:
    """A widget callback's store change, its outcome shown on the next render (``ui.store_actions``)."""
    act(_FLASH, action, fn)


def _table(rows: list[dict[str, str]]) -> None:
    """A small table whose cells are shown as typed (``st.table`` reads Markdown)."""
    if rows:
        st.table(pd.DataFrame([{md_text(k): md_text(v) for k, v in r.items()} for r in rows]), border="horizontal")


# --------------------------------------------------------------------------- callbacks


def _on_add_client() -> None:
    key = K + "new_name"
    name = st.session_state.get(key, "")

    def run() -> str:
        client = auth.get_store().create_client(name, notes="Added on the Screening page.")
        st.session_state[key] = ""
        st.session_state[CLIENT_KEY] = client.id
        return f"Added {md_text(client.name)}."

    _act("add the client", run)


def _on_new_screening() -> None:
    st.session_state[_NONCE] = _nonce() + 1
    for key in (_REQUESTED, _SAVED):
        st.session_state.pop(key, None)
    for step in protocol.STEPS:
        st.session_state.pop(_SHA + step.id, None)


def _on_save(client_id: int, client_name: str, fingerprint: str) -> None:
    current = st.session_state.get(K + "current")
    notes = st.session_state.get(_k("notes"), "")

    def run() -> str | None:
        store = auth.get_store()  # checks the session before anything is written
        if not current or current[0] != fingerprint:
            _flash("error", "The screening changed before it was saved; nothing was saved. Save it again.")
            return None
        result = dict(current[1])
        rec = store.save_screening(client_id, result, screened_at=SP.screened_at(date.fromisoformat(
            result["screened_on"])), notes=notes)
        msg = f"Saved as screening #{rec.id} for {md_text(client_name)}."
        st.session_state.setdefault(_SAVED, {})[fingerprint] = (rec.id, msg)
        return None  # said where the Save button was

    _act("save the screening", run)


def _on_screening_notes(screening_id: int) -> None:
    notes = st.session_state.get(f"{K}hnotes_{screening_id}", "")
    _act("save the screening notes",
         lambda: (auth.get_store().update_screening_notes(screening_id, notes), "Screening notes saved.")[1])


def _on_delete_screening(screening_id: int) -> None:
    key = f"{K}hdel_ok_{screening_id}"
    if not st.session_state.get(key):
        _flash("error", "Tick “Yes, delete this screening” first. Nothing was deleted.")
        return

    def run() -> str:
        auth.get_store().delete_screening(screening_id)
        st.session_state.pop(key, None)
        return f"Deleted screening #{screening_id}."

    _act("delete the screening", run)


# --------------------------------------------------------------------------- analysing a step


def _upload_sha(step_id: str, uploaded) -> str:
    memo = st.session_state.get(_SHA + step_id)
    file_id = getattr(uploaded, "file_id", None)
    if memo and file_id and memo[0] == file_id:
        return memo[1]
    sha = hashlib.sha256(uploaded.getbuffer()).hexdigest()
    st.session_state[_SHA + step_id] = (file_id, sha)
    return sha


def _cache_key(step: protocol.Step, sha: str, settings: ui_settings.Settings, mirrored: bool) -> tuple:
    """(the clip's SHA-256, the step's analysis options): the step's own profile, the view detected."""
    return (sha, settings.analysis_options(mirrored=mirrored, profile=step.profile, view="auto"))


def _analyse_step(step: protocol.Step, uploaded, key: tuple) -> dict:
    """Write the upload to the session's private temp folder, analyse it with the step's profile, delete it.
    Returns the cache entry: ``{"result": dict}``, or ``{"error": text}`` (shown in words, never a traceback)."""
    from vision.analysis import analyze_video

    name = uploaded.name
    suffix = Path(name).suffix.lower()
    suffix = suffix if suffix[1:] in UPLOAD_TYPES else ".mp4"
    path = results_view.session_dir() / f"screening_{key[0][:32]}{suffix}"
    label = SP.step_label(step)
    bar = st.progress(0.0, text=f"{label}: opening the video…")
    try:
        results_view.write_private(path, uploaded.getbuffer())
        def label_fn(done: int, total: int, elapsed_s: float) -> tuple[float, str]:
            frac, text = presenters.progress_text(done, total, elapsed_s)
            return frac, f"{label}: {text}"

        progress = results_view.throttled_progress(bar, label_fn)
        analysis = analyze_video(path, key[1], progress=progress)
        result = analysis.result
        result.setdefault("source", {})["file"] = name  # the user's file name, not the temp file's
        results_view.public_result(result, path, name)
        return {"result": result}
    except SquatCheckError as err:
        msg = public_text(str(err), path, name)
        if isinstance(err, VideoReadError):
            msg += " Try another file: a clip straight from a phone's camera app (MP4 or MOV) works best."
        return {"error": msg}
    except Exception as err:  # noqa: BLE001 - a bug or a library failure: never a traceback on the page
        log.exception("unexpected error analysing %s", label)  # the log (server side) keeps the details
        return {"error": public_text(f"Something went wrong analysing this clip ({type(err).__name__}: {err}). "
                                     "Try again; if it keeps happening, try another clip (an MP4 straight from a "
                                     "phone works best).", path, name)}
    finally:
        bar.empty()
        results_view.delete_temp_video(path)  # only the result is kept


# --------------------------------------------------------------------------- the page's parts


def _client_picker(store: Store) -> ClientRecord | None:
    try:
        clients = store.list_clients()
    except Exception as err:  # noqa: BLE001
        st.error(plain(err, "list the clients"))
        return None
    by_id = {c.id: c for c in clients}
    if st.session_state.get(CLIENT_KEY) not in by_id:
        st.session_state.pop(CLIENT_KEY, None)
    picked = st.selectbox("Client", list(by_id), index=None, placeholder="Choose a client…", key=CLIENT_KEY,
                          format_func=lambda i: by_id[i].name if i in by_id else f"#{i}",
                          help="The screening is saved to this client's history and compared with their last one.")
    with st.expander("Add a new client", expanded=not clients):
        st.text_input("New client's name", key=K + "new_name", placeholder="e.g. Anna Smith")
        st.button("Add client", key=K + "add", on_click=_on_add_client)
    return by_id.get(picked)


def _step_block(step: protocol.Step, offer: tuple[str, str] | None):
    """One step: how to film it and its upload. Returns the upload (None: skipped)."""
    with st.container(border=True):
        st.markdown(f"**{md_text(SP.step_label(step))}**")
        st.markdown("  \n".join(md_text(line) for line in SP.step_howto(step)))
        if offer is not None:
            state, why = offer
            (st.success if state == SP.HEELS_NEEDED else st.info)(md_text(why))
            if state == SP.HEELS_NOT_NEEDED:
                return None
        return st.file_uploader(f"Clip for step {protocol.STEP_IDS.index(step.id) + 1} (leave empty to skip)",
                                type=UPLOAD_TYPES, key=_k(f"up_{step.id}"),
                                help="Analysed on this computer; deleted once analysed (only the numbers are kept).")


def _hand_entries() -> dict[str, Any]:
    with st.container(border=True):
        st.markdown("**Measured by hand**")
        for entry in protocol.HAND_ENTRIES:
            st.caption(md_text(f"{entry['title']}: {entry['instructions']}"))
        left, right = st.columns(2)
        ktw_l = left.number_input("Knee-to-wall, left (cm)", min_value=0.0, max_value=30.0, value=None, step=0.5,
                                  key=_k("ktw_left"), placeholder="not measured")
        ktw_r = right.number_input("Knee-to-wall, right (cm)", min_value=0.0, max_value=30.0, value=None, step=0.5,
                                   key=_k("ktw_right"), placeholder="not measured")
        pain = st.radio("Pain during the squat?", SP.PAIN_CHOICES, index=None, horizontal=True, key=_k("pain"),
                        help="Nothing chosen: not asked (the result says a plan needs the answer).")
        where = st.text_input("Where does it hurt?", key=_k("pain_where"),
                              placeholder="e.g. front of the left knee") if pain == "Yes" else ""
        c1, c2 = st.columns(2)
        day = c1.date_input("Screened on", value=date.today(), max_value=date.today(), key=_k("date"))
        weeks = c2.number_input("Re-test after (weeks)", min_value=1, max_value=12, value=protocol.RETEST_WEEKS,
                                step=1, key=_k("weeks"))
    return {"knee_to_wall_cm": SP.knee_to_wall(ktw_l, ktw_r), "pain": SP.pain_answer(pain), "pain_where": where or "",
            "screened_on": day if isinstance(day, date) else date.today(), "retest_weeks": int(weeks or 4)}


def _fingerprint(result: Mapping[str, Any]) -> str:
    return hashlib.sha1(json.dumps(result, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _previous(store: Store, client: ClientRecord, screened_on: str):
    """The client's last saved screening on or before ``screened_on``, other than those saved from this one."""
    saved_here = {v[0] for v in (st.session_state.get(_SAVED) or {}).values()}
    earlier = [r for r in store.list_screenings(client.id)
               if r.id not in saved_here and str((r.result or {}).get("screened_on") or "") <= screened_on]
    return earlier[-1] if earlier else None


def _show_steps(s: Mapping[str, Any], errors: Mapping[str, str]) -> None:
    lines = []
    for step in s["steps"]:
        n = protocol.STEP_IDS.index(step["id"]) + 1
        if step["id"] in errors:
            text = f"Step {n} · {step['title']}: could not be analysed: {errors[step['id']]}"
        elif step["status"] == "analysed":
            text = (f"Step {n} · {step['title']}: analysed ({step.get('file') or 'clip'}, {step.get('rep_count')} "
                    f"reps, seen from the {step.get('view')})" + (f"; {step['why']}" if step.get("why") else ""))
        else:
            text = f"Step {n} · {step['title']}: {step['status']} ({step.get('why') or 'skipped'})"
        lines.append("- " + md_text(text))
    st.markdown("\n".join(lines))


def _show_screening(s: Mapping[str, Any], comparison: Mapping[str, Any] | None, previous_date: str | None) -> None:
    st.header("Findings")
    st.warning(md_text(s["disclaimer"]), icon=":material/info:")
    if s["referral"]["refer"]:
        st.error(md_text("Pain: see a clinician. " + s["referral"]["text"]), icon=":material/medical_services:")

    b = s["branch"]
    st.subheader(md_text(f"Heels-raised test: {b['title']}"))
    st.markdown("  \n".join(md_text(r) for r in b["reasons"]))
    _table(SP.branch_measure_rows(b))
    st.caption(md_text(f"Evidence: {SP.grade_text(b.get('grade'))}. Sources: "
                       + "; ".join(x.get("citation") or x["id"] for x in b.get("sources") or [])))

    st.markdown("#### Every finding")
    _table(SP.findings_rows(s))
    with st.expander("Each finding's measurement error, evidence grade and sources"):
        _table(SP.findings_rows(s, detail=True))
    conventions = [(f["title"], f["convention"]) for f in s["findings"] if f.get("convention")]
    if conventions:
        st.markdown("**Muscle hypotheses (labelled conventions, not findings)**")
        st.markdown("\n".join("- " + md_text(f"{title}: {text}") for title, text in conventions))
    nexts = [(f["title"], f["next"]) for f in s["findings"] if f.get("next")]
    if nexts:
        st.markdown("**Next tests**")
        st.markdown("\n".join("- " + md_text(f"{title}: {text}") for title, text in nexts))
    if s["not_concluded"]:
        st.markdown("**Not concluded**")
        st.markdown("\n".join("- " + md_text(f"{n['title']}: {n['why']}") for n in s["not_concluded"]))

    st.subheader("Plan")
    plan = s["plan"]
    if plan["withheld"]:
        st.error(md_text(plan["withheld"]))
    elif not plan["items"]:
        st.info(md_text(plan["note"]))
    else:
        for item, row in zip(plan["items"], SP.plan_rows(s)):
            with st.container(border=True):
                st.markdown(f"**{md_text(item['name'])}** · evidence: {md_text(item['grade'])}")
                st.markdown("  \n".join(f"**{md_text(k)}:** {md_text(v)}" for k, v in row.items() if k != "Exercise"))
    if plan.get("not_supported"):
        st.markdown("**What the evidence does not support**")
        st.markdown("\n".join("- " + md_text(n["text"]) for n in plan["not_supported"]))
    st.info(md_text(f"Re-test on {s['retest_on']} (screened on {s['screened_on']}): the same steps, compared "
                    "with this screening finding by finding."), icon=":material/event:")

    if comparison is not None:
        st.subheader(md_text(f"Compared with the last screening ({previous_date})"))
        counts = SP.comparison_counts(comparison)
        st.caption(md_text(f"A change is real only beyond its measurement error: {counts['real']} real, "
                           f"{counts['not meaningful']} not meaningful, {counts['not comparable']} not measured in "
                           "both."))
        _table(SP.comparison_rows(comparison))
        _table(SP.category_rows(comparison))


def _outputs(s: Mapping[str, Any], client: ClientRecord | None, comparison: Mapping[str, Any] | None,
             fingerprint: str) -> None:
    from trainer.screening.pdf import render_handout_pdf, render_screening_pdf

    name = client.name if client is not None else None
    st.subheader("Report and save")
    c1, c2 = st.columns(2)
    private_download_button("Download the trainer's report (PDF)",
                            lambda: render_screening_pdf(s, client_name=name, comparison=comparison),
                            container=c1, file_name=SP.report_file_name(name, s["screened_on"]),
                            mime="application/pdf", key=_k("pdf_report"),
                            help="Numbers, error bands, sources, the branch, the plan with grades; the client's "
                                 "handout on the last page.")
    private_download_button("Download the client's handout (PDF)",
                            lambda: render_handout_pdf(s, client_name=name), container=c2,
                            file_name=SP.handout_file_name(name, s["screened_on"]), mime="application/pdf",
                            key=_k("pdf_handout"), help="One page in plain words.")
    if client is None:
        st.info("Choose a client at the top of the page to save this screening to their history.")
        return
    done = (st.session_state.get(_SAVED) or {}).get(fingerprint)
    if done:
        st.success(done[1])
        st.button("Start a new screening (a re-screen)", key=_k("new"), on_click=_on_new_screening)
        return
    st.text_area("Notes (optional)", key=_k("notes"), height=68)
    st.button(f"Save to {client.name}'s history", key=_k("save"), type="primary", on_click=_on_save,
              args=(client.id, client.name, fingerprint))


def _history(store: Store, client: ClientRecord) -> None:
    from trainer.screening import trend
    from trainer.screening.pdf import render_screening_pdf
    from trainer.screening.retest import compare_screenings

    st.divider()
    st.header(md_text(f"Screenings of {client.name}"))
    try:
        records = store.list_screenings(client.id)  # oldest first
    except Exception as err:  # noqa: BLE001
        st.error(plain(err, "read the screenings"))
        return
    if not records:
        st.info("No saved screenings yet.")
        return
    _table(SP.history_rows(records))
    st.markdown("**Trend over screenings** (oldest first)")
    _table(SP.trend_rows(trend([r.result for r in records])))
    st.caption("Read a change between two screenings in the comparison, which calls it real only beyond its "
               "measurement error.")
    by_id = {r.id: r for r in records}
    ids = [r.id for r in reversed(records)]
    key = f"{K}hpick_{client.id}"
    if st.session_state.get(key) not in by_id:
        st.session_state[key] = ids[0]
    sid = st.selectbox("Screening", ids, key=key, format_func=lambda i: SP.screening_label(by_id[i]))
    rec = by_id[sid]
    pos = [r.id for r in records].index(sid)
    prev = records[pos - 1] if pos > 0 else None
    comparison = compare_screenings(prev.result, rec.result) if prev is not None else None
    if comparison is not None:
        with st.expander(md_text(f"Compared with the screening before it ({prev.result.get('screened_on')})")):
            _table(SP.comparison_rows(comparison))
            _table(SP.category_rows(comparison))
    private_download_button("Download this screening's report (PDF)",
                            lambda: render_screening_pdf(rec.result, client_name=client.name, comparison=comparison),
                            file_name=SP.report_file_name(client.name, str(rec.result.get("screened_on"))),
                            mime="application/pdf", key=f"{K}hpdf_{rec.id}")
    notes_key = f"{K}hnotes_{rec.id}"
    if notes_key not in st.session_state:
        st.session_state[notes_key] = rec.notes
    st.text_area("Screening notes", key=notes_key, height=68)
    st.button("Save notes", key=f"{K}hnotes_save_{rec.id}", on_click=_on_screening_notes, args=(rec.id,))
    with st.expander("Delete this screening"):
        st.checkbox("Yes, delete this screening permanently", key=f"{K}hdel_ok_{rec.id}")
        st.button("Delete screening", key=f"{K}hdel_{rec.id}", on_click=_on_delete_screening, args=(rec.id,))


# --------------------------------------------------------------------------- the page


def render() -> None:
    from trainer.screening import build_screening
    from trainer.screening.retest import compare_screenings

    st.title("Guided screening")
    st.caption("Screening aid, not a diagnosis: it describes how the squat moved on the day, within the error of "
               "2D video and hand measures. Any pain: see a clinician. Everything runs on this computer. "
               "Each step sets its own squat type; of the sidebar's settings only the pose model and sex apply.")
    try:
        store = auth.get_store()
    except Exception as err:  # noqa: BLE001
        st.error(plain(err, "open the client history"))
        return
    _show_flash()
    client = _client_picker(store)

    st.markdown(f"**How to film** · {md_text(protocol.CAMERA_SETUP)}")
    settings = ui_settings.current()
    mirrored = st.checkbox("Mirror-image videos (recorded with a selfie camera that flips the picture)",
                           key=_k("mirrored"))
    # only a session past the sign-in gate may upload, one file per step, while its sign-in lasts
    upload_guard.allow(auth.idle_timeout_s() if auth.current_user() is not None else None, max_files=MAX_FILES)

    cache = _cache()
    uploads: dict[str, Any] = {}
    keys: dict[str, tuple] = {}
    for step in protocol.STEPS:
        offer = None
        if step.id == protocol.HEELS_RAISED:
            front = cache.get(keys[protocol.FRONT]) if protocol.FRONT in keys else None
            offer = SP.heels_offer(front.get("result") if front else None)
        uploaded = _step_block(step, offer)
        if uploaded is not None:
            uploads[step.id] = uploaded
            keys[step.id] = _cache_key(step, _upload_sha(step.id, uploaded), settings, mirrored)
    entries = _hand_entries()

    if st.button("Analyse the clips and screen", key=_k("run"), type="primary"):
        st.session_state[_REQUESTED] = True
        new = [sid for sid, key in keys.items() if key not in cache]
        for step_id in new:
            cache[keys[step_id]] = _analyse_step(protocol.STEPS_BY_ID[step_id], uploads[step_id], keys[step_id])
        for key in keys.values():
            cache.move_to_end(key)
        while len(cache) > CACHE_ENTRIES:
            cache.popitem(last=False)
        if new:
            st.rerun()  # drawn again from the analyses: step 3 now offered (or not) by what step 1 showed
    if not st.session_state.get(_REQUESTED):
        st.caption("Upload the steps you filmed (skip any), fill in the hand entries, then analyse.")
    else:
        pending = [SP.step_label(protocol.STEPS_BY_ID[sid]) for sid, key in keys.items() if key not in cache]
        if pending:
            st.info(md_text(f"Not analysed yet (a new clip, or other settings): {', '.join(pending)}. Press "
                            "“Analyse the clips and screen” again."))
        else:
            analyses = {sid: cache[key].get("result") for sid, key in keys.items()}
            errors = {sid: cache[key]["error"] for sid, key in keys.items() if "error" in cache[key]}
            try:
                s = build_screening({k: v for k, v in analyses.items() if v is not None},
                                    knee_to_wall_cm=entries["knee_to_wall_cm"], pain=entries["pain"],
                                    pain_where=entries["pain_where"], screened_on=entries["screened_on"],
                                    retest_weeks=entries["retest_weeks"],
                                    files={sid: u.name for sid, u in uploads.items()})
            except ValueError as err:  # an implausible hand entry
                st.error(md_text(str(err)))
                s = None
            if s is not None:
                fingerprint = _fingerprint(s)
                comparison = previous_date = None
                if client is not None:
                    try:
                        prev = _previous(store, client, s["screened_on"])
                    except Exception as err:  # noqa: BLE001
                        st.error(plain(err, "read the client's earlier screenings"))
                        prev = None
                    if prev is not None:
                        comparison = compare_screenings(prev.result, s)
                        previous_date = prev.result.get("screened_on")
                saved = dict(s, comparison=comparison) if comparison is not None else s
                st.session_state[K + "current"] = (fingerprint, saved)
                st.divider()
                st.subheader("Steps")
                for sid, text in errors.items():
                    st.error(md_text(f"{SP.step_label(protocol.STEPS_BY_ID[sid])}: {text}"))
                _show_steps(s, errors)
                try:
                    _show_screening(s, comparison, previous_date)
                    _outputs(saved, client, comparison, fingerprint)
                except Exception as err:  # noqa: BLE001 - never a traceback on the page
                    show_unexpected_error(err, "showing the screening")
    if client is not None:
        _history(store, client)


if __name__ == "__main__":
    render()
