"""The "Clients" page: client list, session history, progress chart, session comparison,
PDF / JSON downloads and the privacy tools (export everything, erase a client).

The compact "save this analysis to a client's history" form that the Analyze page embeds under
its results is :mod:`ui.save_form` (re-exported here as :func:`render_save_to_client`).

This is a thin UI layer: numbers come from :mod:`trainer.store` / :mod:`trainer.session_compare`,
and all display shaping lives in :mod:`ui.clients_presenters` (pure, unit-tested).
Every error from the store is shown as a plain-words ``st.error``, never a traceback.

Run as a page (``st.navigation([... st.Page("ui/clients_page.py", title="Clients") ...])``)
it renders the whole page; imported as a module it only defines functions.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # run as a page file: make `ui` / `vision` importable
    sys.path.insert(0, str(_ROOT))

import base64  # noqa: E402
import logging  # noqa: E402
from datetime import date  # noqa: E402
from typing import Any, Callable, Mapping, Sequence  # noqa: E402

import altair as alt  # noqa: E402
import pandas as pd  # noqa: E402
import streamlit as st  # noqa: E402

from ui import clients_presenters as P  # noqa: E402
from ui import screening_presenters  # noqa: E402
from trainer.session_compare import (  # noqa: E402
    NOT_MEANINGFUL,
    VALGUS_COUNT_THRESHOLD,
    VALGUS_RATE_THRESHOLD,
    compare_sessions,
)
from trainer.pdf_report import render_session_pdf  # noqa: E402
from trainer.store import (  # noqa: E402
    ClientRecord,
    SessionRecord,
    Store,
)
from ui.downloads import private_download_button  # noqa: E402
from ui.auth import get_store  # noqa: E402
from ui.save_form import render_save_to_client  # noqa: E402
from ui.store_actions import act, flash, plain, show_flash  # noqa: E402
from ui.session_store import database_url  # noqa: E402

__all__ = [
    "database_url",
    "get_store",
    "render_clients_page",
    "render_save_to_client",
    "session_pdf",
]

log = logging.getLogger(__name__)

K = "clients_"  # prefix of every widget / session-state key on this page
_FLASH = K + "flash"
_EXPORT = K + "export"


# --------------------------------------------------------------------------- the store
# get_store: ui.auth (the store as the signed-in account may see it); database_url: ui.session_store



def session_pdf(store: Store, session_id: int, *, client_name: str | None = None) -> bytes:
    """The PDF report of a saved session, exactly as the page offers it for download: with
    the client's previous session for the "change since last time" section, the stored
    worst-frame thumbnail and the session notes."""
    rec = store.get_session(session_id)
    if client_name is None:
        client_name = store.get_client(rec.client_id).name
    prev = store.previous_session(session_id)
    return render_session_pdf(
        rec.analysis,
        client_name=client_name,
        recorded_at=rec.recorded_at,
        previous=prev.analysis if prev is not None else None,
        worst_frame_rgb=rec.worst_frame_rgb(),
        notes=rec.notes,
        previous_recorded_at=prev.recorded_at if prev is not None else None,
    )


@st.cache_data(show_spinner="Preparing the PDF report...", max_entries=64)
def _cached_session_pdf(
    _store: Store, url: str, session_id: int, client_name: str, notes: str,
    previous_id: int | None,
) -> bytes:
    # The arguments after _store are the cache key: everything the PDF depends on that can
    # change (a session's analysis never changes once saved).
    return session_pdf(_store, session_id, client_name=client_name)


# --------------------------------------------------------------------------- messages


def _shows_server_paths() -> bool:
    """Server file paths (the database, kept videos) are for whoever runs the server: the single
    user of a computer without accounts, and admins; a trainer signed in over the network sees none."""
    from ui.auth import current_user

    user = current_user()
    return user is None or user.is_admin


def _where(url: str) -> str:
    if _shows_server_paths():
        return P.storage_caption(url)
    return "Stored on the gym's server, shown only to you and the admins"


def _flash(kind: str, text: str) -> None:
    flash(_FLASH, kind, text)


def _show_flash() -> None:
    show_flash(_FLASH)


def _act(action: str, fn: Callable[[], str | None]) -> None:
    """Run a widget callback's store operation; report the outcome on the next render (``ui.store_actions``)."""
    act(_FLASH, action, fn)


def _without_paths(doc: Any) -> Any:
    """A download for a trainer: each kept video named by its file name, not its server path."""
    if _shows_server_paths():
        return doc
    if isinstance(doc, dict):
        return {k: (Path(v).name if k == "video_path" and isinstance(v, str) else _without_paths(v))
                for k, v in doc.items()}
    if isinstance(doc, list):
        return [_without_paths(v) for v in doc]
    return doc


def _state_default(key: str, value: Any) -> None:
    """Seed a keyed widget once (so it is never given both a value and a state)."""
    if key not in st.session_state:
        st.session_state[key] = value


# --------------------------------------------------------------------------- callbacks


def _on_create_client() -> None:
    name = st.session_state.get(K + "new_name", "")
    notes = st.session_state.get(K + "new_notes", "")

    def run() -> str:
        client = get_store().create_client(name, notes)
        st.session_state[K + "new_name"] = ""
        st.session_state[K + "new_notes"] = ""
        st.session_state[K + "search"] = ""
        st.session_state[K + "pick"] = client.id
        return f"Added {P.md_text(client.name)}."

    _act("add the client", run)


def _on_rename_client(client_id: int) -> None:
    new_name = st.session_state.get(f"{K}rename_{client_id}", "")

    def run() -> str:
        client = get_store().rename_client(client_id, new_name)
        st.session_state[f"{K}rename_{client_id}"] = client.name
        return f"Renamed to {P.md_text(client.name)}."

    _act("rename the client", run)


def _on_client_notes(client_id: int) -> None:
    notes = st.session_state.get(f"{K}cnotes_{client_id}", "")

    def run() -> str:
        get_store().set_client_notes(client_id, notes)
        return "Client notes saved."

    _act("save the client notes", run)


def _on_delete_client(client_id: int, name: str) -> None:
    key = f"{K}del_confirm_{client_id}"
    if not P.names_match(st.session_state.get(key, ""), name):
        _flash("error", f"To delete {P.md_text(name)}, first type their name in the box exactly as shown. "
                        "Nothing was deleted.")
        return

    def run() -> str:
        get_store().delete_client(client_id)
        _cached_session_pdf.clear()  # their PDF reports are not kept in memory either
        st.session_state.pop(key, None)
        st.session_state.pop(K + "pick", None)
        st.session_state.pop(_EXPORT, None)
        return f"Deleted {P.md_text(name)} and all their data."

    _act("delete the client", run)


def _on_prepare_export(client_id: int, name: str) -> None:
    def run() -> None:
        data = P.json_bytes(_without_paths(get_store().export_client(client_id)))
        st.session_state[_EXPORT] = (client_id, data, P.export_file_name(name, date.today()))

    _act("export the client's data", run)


def _on_session_notes(session_id: int) -> None:
    notes = st.session_state.get(f"{K}snotes_{session_id}", "")

    def run() -> str:
        get_store().update_session_notes(session_id, notes)
        return "Session notes saved."

    _act("save the session notes", run)


def _on_delete_session(session_id: int) -> None:
    key = f"{K}sdel_ok_{session_id}"
    if not st.session_state.get(key):
        _flash("error", "Tick “Yes, delete this session” first. Nothing was deleted.")
        return

    def run() -> str:
        get_store().delete_session(session_id)
        _cached_session_pdf.clear()
        st.session_state.pop(key, None)
        return f"Deleted session #{session_id}."

    _act("delete the session", run)


# --------------------------------------------------------------------------- the page


def render_clients_page() -> None:
    """The whole Clients page."""
    st.title("Clients")
    try:
        store = get_store()
    except Exception as err:  # noqa: BLE001
        st.error(plain(err, "open the client history"))
        if _shows_server_paths():
            st.caption(f"Database: {database_url()}")
        return
    st.caption(_where(store.url) + " · Nothing is uploaded or sent anywhere.")
    _show_flash()

    try:
        clients = store.list_clients()
    except Exception as err:  # noqa: BLE001
        st.error(plain(err, "list the clients"))
        return

    client = _client_picker(clients)
    with st.expander("Add a new client", expanded=not clients):
        st.text_input("Name", key=K + "new_name", placeholder="e.g. Anna Smith")
        st.text_area("Notes (optional)", key=K + "new_notes", height=68,
                     placeholder="Goals, injuries, anything useful for the next session")
        st.button("Add client", key=K + "create", on_click=_on_create_client)

    if client is None:
        return
    st.divider()
    _client_view(store, client)


def _client_picker(clients: Sequence[ClientRecord]) -> ClientRecord | None:
    if not clients:
        st.info("No clients yet. Add your first client below.")
        return None
    by_id = {c.id: c for c in clients}
    query = st.text_input("Find a client", key=K + "search", placeholder="Type part of a name")
    shown = P.filter_clients(clients, query)
    if not shown:
        st.info(f"No client name contains “{P.md_text(query.strip())}”.")
        return None
    ids = [c.id for c in shown]
    if st.session_state.get(K + "pick") not in ids:
        st.session_state[K + "pick"] = ids[0]
    picked = st.selectbox(
        f"Client ({len(shown)} of {len(clients)})" if query else "Client",
        ids,
        format_func=lambda i: P.client_label(by_id[i]) if i in by_id else f"#{i}",
        key=K + "pick",
    )
    return by_id.get(picked)


def _client_view(store: Store, client: ClientRecord) -> None:
    # names and notes are shown as typed: plain text, never Markdown or HTML
    st.header(P.md_text(client.name))
    if client.notes:
        st.text(client.notes)
    try:
        sessions = store.list_sessions(client.id)  # oldest first
    except Exception as err:  # noqa: BLE001
        st.error(plain(err, "read the sessions"))
        return

    _screening_link(store, client)
    history, progress, compare, detail, privacy = st.tabs(
        ["History", "Progress", "Compare two sessions", "Session details", "Client & privacy"]
    )
    with history:
        _history_tab(sessions)
    with progress:
        _progress_tab(store, client)
    with compare:
        _compare_tab(client, sessions)
    with detail:
        _session_tab(store, client, sessions)
    with privacy:
        _privacy_tab(store, client, sessions)


SCREENING_PAGE = "ui/screening_page.py"


def _screening_link(store: Store, client: ClientRecord) -> None:
    """How many guided screenings the client has, and a button that opens the Screening page with
    this client chosen."""
    try:
        n = len(store.list_screenings(client.id))
    except Exception as err:  # noqa: BLE001
        st.error(plain(err, "read the screenings"))
        return
    said = {0: "No guided screening yet.", 1: "1 guided screening saved."}.get(n, f"{n} guided screenings saved.")
    st.caption(said + " Follow-up tests, a corrective plan and a re-test: the Screening page.")
    if st.button("Screen this client", key=f"{K}screen_{client.id}", icon=":material/checklist:"):
        st.session_state[screening_presenters.CLIENT_KEY] = client.id
        st.switch_page(SCREENING_PAGE)


def _history_tab(sessions: Sequence[SessionRecord]) -> None:
    if not sessions:
        st.info("No saved sessions yet. Analyse a video, then use “Save to a client's "
                "history” under the results.")
        return
    df = pd.DataFrame(P.history_rows(sessions), columns=list(P.HISTORY_COLUMNS))
    st.dataframe(df, hide_index=True)
    st.caption("Newest first. KASR: knee-to-ankle separation at the bottom (lower = knees "
               "closer together). n/a: not measurable from that camera angle.")


def trend_chart(rows: Sequence[Mapping[str, Any]]) -> alt.VConcatChart:
    """One small line chart per measure (own y axis, shared time axis) from
    :func:`P.trend_long` rows, with a grey band = the latest value +/- measurement error."""
    charts = []
    panels = P.trend_panels(rows)
    for i, panel in enumerate(panels):
        last = i == len(panels) - 1
        scale = alt.Scale(domain=list(panel["domain"]), nice=False, zero=False)
        x = alt.X("recorded_at:T", title="Session date" if last else None,
                  axis=alt.Axis(labels=last, ticks=last))
        y = alt.Y("value:Q", title=None, scale=scale)
        data = pd.DataFrame(panel["rows"])
        tooltip = [
            alt.Tooltip("date:N", title="Recorded"),
            alt.Tooltip("display:N", title=panel["metric"]),
            alt.Tooltip("session_id:Q", title="Session #"),
        ]
        layers = []
        subtitle = (f"Meaningful only with a change of {VALGUS_COUNT_THRESHOLD}+ valgus reps or "
                    f"{VALGUS_RATE_THRESHOLD * 100:.0f}+ points; side-view sessions cannot "
                    "show valgus and are left out")
        if panel["band"] is not None:
            lo, hi = panel["band"]
            band = pd.DataFrame([{"lo": lo, "hi": hi}])
            layers.append(alt.Chart(band).mark_rect(color="#9e9e9e", opacity=0.18).encode(
                y=alt.Y("lo:Q", scale=scale, title=None), y2="hi:Q"))
            unit = "°" if "°" in panel["metric"] else ""
            subtitle = (f"Grey band: within measurement error (±{panel['threshold']:g}{unit}) "
                        "of the latest session")
        layers.append(alt.Chart(data).mark_line().encode(x=x, y=y))
        layers.append(alt.Chart(data).mark_point(filled=True, size=70).encode(
            x=x, y=y, tooltip=tooltip))
        title = alt.TitleParams(panel["metric"], subtitle=subtitle, anchor="start", fontSize=13)
        charts.append(alt.layer(*layers).properties(width=560, height=120, title=title))
    return alt.vconcat(*charts, spacing=18).resolve_scale(x="shared")


def _progress_tab(store: Store, client: ClientRecord) -> None:
    try:
        trend = store.trend(client.id)
    except Exception as err:  # noqa: BLE001
        st.error(plain(err, "read the progress data"))
        return
    rows = P.trend_long(trend)
    if not rows:
        st.info("Nothing to chart yet: save sessions with at least one rep.")
    else:
        try:
            st.altair_chart(trend_chart(rows), key=f"{K}trend_{client.id}")
        except Exception as err:  # noqa: BLE001 - the chart is not worth a traceback
            st.error(plain(err, "draw the progress chart"))
    st.caption(P.measurement_error_note())


def _compare_tab(client: ClientRecord, sessions: Sequence[SessionRecord]) -> None:
    pair = P.default_comparison_pair(sessions)
    if pair is None:
        st.info("Save at least two sessions for this client to compare them.")
        return
    by_id = {s.id: s for s in sessions}
    ids = [s.id for s in reversed(sessions)]  # newest first
    key_a, key_b = f"{K}cmp_a_{client.id}", f"{K}cmp_b_{client.id}"
    for key, default in ((key_a, pair[0]), (key_b, pair[1])):
        if st.session_state.get(key) not in by_id:
            st.session_state[key] = default
    label = lambda i: P.session_label(by_id[i]) if i in by_id else f"#{i}"  # noqa: E731
    col_a, col_b = st.columns(2)
    a = col_a.selectbox("First session", ids, format_func=label, key=key_a)
    b = col_b.selectbox("Second session", ids, format_func=label, key=key_b)
    if a == b or a not in by_id or b not in by_id:
        st.info("Pick two different sessions.")
        return
    earlier, later = P.order_pair(by_id[a], by_id[b])
    cols = st.columns(2)
    for col, title, rec in ((cols[0], "Earlier", earlier), (cols[1], "Later", later)):
        with col.container(border=True):
            st.markdown(f"**{title}:** {P.session_label(rec)}")
            st.markdown("  \n".join(f"{tile_label}: **{value}**"
                                     for tile_label, value in P.session_tiles(rec)))
    entries = compare_sessions(earlier.analysis, later.analysis)
    st.markdown("**Change from the earlier to the later session**")
    st.table(pd.DataFrame(P.comparison_rows(entries)), hide_index=True)
    st.caption(f"“{NOT_MEANINGFUL}”: the difference is smaller than what 2D video can "
               "reliably measure, so treat it as no change. " + P.measurement_error_note())


def _session_tab(store: Store, client: ClientRecord, sessions: Sequence[SessionRecord]) -> None:
    if not sessions:
        st.info("No saved sessions yet.")
        return
    by_id = {s.id: s for s in sessions}
    ids = [s.id for s in reversed(sessions)]  # newest first
    key = f"{K}session_pick_{client.id}"
    if st.session_state.get(key) not in by_id:
        st.session_state[key] = ids[0]
    sid = st.selectbox("Session", ids, key=key,
                       format_func=lambda i: P.session_label(by_id[i]) if i in by_id else f"#{i}")
    rec = by_id[sid]
    position = [s.id for s in sessions].index(sid)
    previous = sessions[position - 1] if position > 0 else None

    left, right = st.columns([2, 1])
    with left:
        st.markdown("  \n".join(f"**{label}:** {value}" for label, value in P.session_tiles(rec)))
        main_cue = (rec.analysis.get("summary") or {}).get("main_cue")
        if main_cue:
            st.caption(f"Main cue: {main_cue}")
        if rec.video_path is not None:
            st.caption(f"Video kept on this computer: {rec.video_path}" if _shows_server_paths()
                       else "The video of this session is kept on the server.")
    with right:
        try:
            thumb = rec.worst_frame_rgb()  # decodes: a broken picture is not shown
        except Exception as err:  # noqa: BLE001 - a broken picture must not hide the page
            log.warning("could not decode worst frame of session %s: %s", rec.id, err)
            thumb = None
        if thumb is not None and rec.worst_frame_jpeg:
            # inline (a data: URI over this session's websocket), not st.image: st.image serves the picture
            # from a /media/ URL that opens without any cookie while the page shows it
            b64 = base64.b64encode(rec.worst_frame_jpeg).decode("ascii")
            st.html(f'<img src="data:image/jpeg;base64,{b64}" width="220" alt="Worst rep, bottom position">')
            st.caption("Worst rep, bottom position")

    notes_key = f"{K}snotes_{rec.id}"
    _state_default(notes_key, rec.notes)
    st.text_area("Session notes", key=notes_key, height=80)
    st.button("Save notes", key=f"{K}snotes_save_{rec.id}", on_click=_on_session_notes,
              args=(rec.id,))

    col_pdf, col_json = st.columns(2)
    with col_pdf:
        try:
            pdf = _cached_session_pdf(store, store.url, rec.id, client.name, rec.notes,
                                      previous.id if previous else None)
        except Exception as err:  # noqa: BLE001
            st.error(plain(err, "make the PDF report"))
        else:
            private_download_button(
                "Download PDF report", lambda: pdf, file_name=P.pdf_file_name(client.name, rec.recorded_at),
                mime="application/pdf", key=f"{K}pdf_{rec.id}",
                help="Includes the change since the previous session." if previous else None,
            )
    with col_json:
        session_json = P.json_bytes(_without_paths(rec.to_dict()))
        private_download_button(
            "Download data (JSON)", lambda: session_json,
            file_name=P.session_json_file_name(client.name, rec), mime="application/json",
            key=f"{K}json_{rec.id}",
        )

    with st.expander("Delete this session"):
        st.checkbox("Yes, delete this session permanently", key=f"{K}sdel_ok_{rec.id}")
        st.button("Delete session", key=f"{K}sdel_{rec.id}", on_click=_on_delete_session,
                  args=(rec.id,))


def _privacy_tab(store: Store, client: ClientRecord, sessions: Sequence[SessionRecord]) -> None:
    st.markdown("**Name and notes**")
    rename_key = f"{K}rename_{client.id}"
    _state_default(rename_key, client.name)
    st.text_input("Client name", key=rename_key)
    st.button("Rename", key=f"{K}rename_btn_{client.id}", on_click=_on_rename_client,
              args=(client.id,))
    notes_key = f"{K}cnotes_{client.id}"
    _state_default(notes_key, client.notes)
    st.text_area("Client notes", key=notes_key, height=80)
    st.button("Save client notes", key=f"{K}cnotes_btn_{client.id}", on_click=_on_client_notes,
              args=(client.id,))

    st.divider()
    st.markdown("**Privacy**")
    kept = [s for s in sessions if s.video_path is not None]
    st.markdown(
        f"{_where(store.url)}. Nothing on this page is uploaded or sent anywhere. "
        "Videos are kept only when “Keep the video on this computer” was ticked while saving; "
        "otherwise only the numbers and a small picture of the worst rep are stored. "
        + (f"{P.md_text(client.name)} has {len(kept)} kept video{'s' if len(kept) != 1 else ''}."
           if kept else f"No videos of {P.md_text(client.name)} are kept.")
    )
    st.button("Export all data for this client", key=f"{K}export_{client.id}",
              on_click=_on_prepare_export, args=(client.id, client.name))
    ready = st.session_state.get(_EXPORT)
    if ready and ready[0] == client.id:
        export = ready[1]
        private_download_button(f"Download {P.md_text(client.name)}'s data (JSON)", lambda: export,
                                file_name=ready[2], mime="application/json", key=f"{K}export_dl_{client.id}")
        if kept:
            st.caption(f"Kept videos are not inside the JSON; they are in {store.media_dir}." if _shows_server_paths()
                       else "Kept videos are not inside the JSON; an admin can copy them from the server.")

    st.divider()
    st.markdown("**Delete this client and all their data**")
    st.caption(f"Erases {P.md_text(client.name)}, all {len(sessions)} saved session"
               f"{'s' if len(sessions) != 1 else ''} and any kept videos from this computer. "
               "This cannot be undone.")
    st.text_input(f"Type “{P.md_text(client.name)}” to confirm", key=f"{K}del_confirm_{client.id}")
    st.button("Delete this client and all their data", key=f"{K}del_{client.id}",
              type="primary", on_click=_on_delete_client, args=(client.id, client.name))


if __name__ == "__main__":  # executed as a Streamlit page (st.navigation / streamlit run)
    # Render through the imported module so the page and the Analyze page's save form share
    # one set of cached functions (one open Store per database).
    from ui import clients_page as _page

    _page.render_clients_page()
