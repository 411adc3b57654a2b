"""Data shaping for the Clients page (pure functions: no Streamlit, no database access).

Everything here takes plain values - store records (:class:`trainer.store.ClientRecord`,
:class:`trainer.store.SessionRecord`, or anything with the same attributes), ``Store.trend``
rows, ``compare_sessions`` entries - and returns strings, dicts and lists ready to display,
so the page itself stays a thin layer of widgets and can be tested separately.

Times: records carry timezone-aware UTC datetimes; every function that shows a time takes
``tz`` (default ``None`` = this computer's local time zone).
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime, time, tzinfo
from typing import Any, Iterable, Mapping, Sequence, TypeVar

from trainer.session_compare import (
    ANGLE_SDD_DEG,
    DEPTH_RATIO_THRESHOLD,
    KASR_THRESHOLD,
    NOT_MEANINGFUL,
    VALGUS_COUNT_THRESHOLD,
    VALGUS_RATE_THRESHOLD,
    finite_or_none,
)

__all__ = [
    "HISTORY_COLUMNS",
    "NA",
    "NEW_CLIENT",
    "NOT_MEANINGFUL",
    "TREND_METRICS",
    "client_label",
    "comparison_rows",
    "default_comparison_pair",
    "export_file_name",
    "filter_clients",
    "fmt_change",
    "fmt_dt",
    "history_rows",
    "json_bytes",
    "measurement_error_note",
    "names_match",
    "order_pair",
    "pdf_file_name",
    "recorded_at_for",
    "session_json_file_name",
    "session_label",
    "session_tiles",
    "slug",
    "csv_safe",
    "csv_safe_text",
    "md_text",
    "storage_caption",
    "trend_long",
    "trend_panels",
    "valgus_text",
]

NA = "n/a"
NEW_CLIENT = "__new_client__"  # sentinel option in the "save to client" picker

HISTORY_COLUMNS = (
    "Session", "Date", "View", "Reps", "Valgus reps", "Shallow reps", "KASR mean",
    "Asymmetry", "Notes",
)

# (key in Store.trend rows, chart label, multiplier for display, measurement error in
# display units or None). The valgus rate gets no error band: compare_sessions also calls a
# change of >= 2 valgus reps meaningful, which a band on the rate axis cannot show.
TREND_METRICS: tuple[tuple[str, str, float, float | None], ...] = (
    ("valgus_rate", "Reps with knee valgus (%)", 100.0, None),
    ("depth_mean", "Depth ratio (higher = deeper)", 1.0, DEPTH_RATIO_THRESHOLD),
    ("asymmetry_mean_deg", "Left/right asymmetry (°)", 1.0, ANGLE_SDD_DEG),
)

_Rec = TypeVar("_Rec")


# --------------------------------------------------------------------------- formatting


_finite = finite_or_none


def fmt_dt(dt: datetime | None, tz: tzinfo | None = None, *, with_time: bool = True) -> str:
    """``2024-03-01 10:00`` in ``tz`` (None = local time); naive datetimes are shown as is."""
    if dt is None:
        return NA
    if dt.tzinfo is not None:
        dt = dt.astimezone(tz)
    return dt.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def _ratio(value: Any) -> str:
    v = _finite(value)
    return NA if v is None else f"{v:.2f}"


def _deg(value: Any) -> str:
    v = _finite(value)
    return NA if v is None else f"{v:.1f}°"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def valgus_text(rec: Any, *, long: bool = False) -> str:
    """Valgus reps of a session: ``"2"`` (or ``"2 of 4 (50%)"`` with ``long``); ``n/a``
    when the camera view could not judge valgus (side view / no frontal metrics)."""
    if rec.rep_count and rec.valgus_rate is None:
        return f"{NA} (not visible from this camera angle)" if long else NA
    if not long:
        return str(rec.valgus_reps)
    if not rec.rep_count:
        return "0 (no reps)"
    return f"{rec.valgus_reps} of {rec.rep_count} ({rec.valgus_rate * 100:.0f}%)"


_MD_SPECIAL = re.compile(r"([\\`*_\[\](){}<>!#|~:$&])")  # links, images, HTML, emphasis, code, colours, LaTeX
_MD_LINE_START = re.compile(r"^(\s*)([-+=>])")  # a list, quote or heading at a line's start
_MD_NUMBERED = re.compile(r"^(\s*\d+)([.)])")  # "1. " starts a numbered list
_MD_WWW = re.compile(r"(?i)\b(www)\.")  # GFM's bare "www.example.org" links


def md_text(text: Any) -> str:
    """``text`` (a client's or an account's name, a note, a store message) for a place that reads
    Markdown (``st.markdown``, captions, headers, alerts, widget labels): every character that makes
    a link, an image, HTML, emphasis, code, a colour, an emoji code or LaTeX is backslash-escaped
    (and "http:" / "www." with them), so it shows as typed; line breaks stay line breaks."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = []
    for line in lines:
        line = _MD_SPECIAL.sub(r"\\\1", line)
        line = _MD_WWW.sub(r"\1\\.", line)
        line = _MD_LINE_START.sub(r"\1\\\2", line)
        out.append(_MD_NUMBERED.sub(r"\1\\\2", line))
    return "  \n".join(out)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_safe(value: Any) -> Any:
    """A cell for a CSV or spreadsheet export (the one helper every export uses): text that starts
    with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single quote, so a
    spreadsheet shows it instead of running it as a formula (``=HYPERLINK(...)``). Numbers, and text
    that is only a number ("-3.5"), stay as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_safe_text(csv_text: str) -> str:
    """A whole CSV document with every cell passed through :func:`csv_safe`."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(csv_text)):
        writer.writerow([csv_safe(cell) for cell in row])
    return out.getvalue()


def storage_caption(url: str) -> str:
    """Where the client history lives, in words (``url`` as ``Store.url``, no password)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # not a URL: say what we were given
        return f"Client history database: {url}"
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database or ""
        if db in ("", ":memory:") or parsed.query.get("mode") == "memory":
            return "Stored only in memory on this computer - it is lost when the app stops."
        return f"Stored only on this computer: {db}"
    return (
        f"Stored in the shared database {url} - not only on this computer; "
        "anyone with access to that database can see it."
    )


# --------------------------------------------------------------------------- clients


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text)).split()).casefold()


def filter_clients(clients: Iterable[_Rec], query: str | None) -> list[_Rec]:
    """Clients whose name contains every word of ``query`` (ignoring case, accents kept,
    extra spaces ignored); all clients for an empty query. Order is kept."""
    words = _norm(query or "").split()
    return [c for c in clients if all(w in _norm(c.name) for w in words)]  # type: ignore[attr-defined]


def client_label(client: Any, tz: tzinfo | None = None) -> str:
    """``Anna Smith (3 sessions, last 2024-03-01)`` / ``Bob (no sessions yet)``."""
    if not client.session_count:
        return f"{client.name} (no sessions yet)"
    last = fmt_dt(client.last_recorded_at, tz, with_time=False)
    return f"{client.name} ({_plural(client.session_count, 'session')}, last {last})"


def names_match(typed: str | None, name: str) -> bool:
    """Delete confirmation: the typed text is the client's name (case and extra spaces
    ignored). An empty entry never matches."""
    t = _norm(typed or "")
    return bool(t) and t == _norm(name)


# --------------------------------------------------------------------------- sessions


def session_label(rec: Any, tz: tzinfo | None = None) -> str:
    """``2024-03-01 10:00 - front, 4 reps (session #3)``."""
    view = rec.view or "unknown view"
    return f"{fmt_dt(rec.recorded_at, tz)} - {view}, {_plural(rec.rep_count, 'rep')} (session #{rec.id})"


def history_rows(sessions: Sequence[Any], tz: tzinfo | None = None) -> list[dict[str, Any]]:
    """One row per session, newest first, with the columns of :data:`HISTORY_COLUMNS`.
    Counts are ints; measures are display strings (``n/a`` when not measurable)."""
    ordered = sorted(sessions, key=lambda r: (r.recorded_at, r.id), reverse=True)
    return [
        {
            "Session": rec.id,
            "Date": fmt_dt(rec.recorded_at, tz),
            "View": rec.view or "unknown",
            "Reps": rec.rep_count,
            "Valgus reps": valgus_text(rec),
            "Shallow reps": rec.shallow_reps,
            "KASR mean": _ratio(rec.kasr_mean),
            "Asymmetry": _deg(rec.asymmetry_mean_deg),
            "Notes": csv_safe(rec.notes or ""),  # the table's "Download as CSV" must not run it
        }
        for rec in ordered
    ]


def session_tiles(rec: Any) -> list[tuple[str, str]]:
    """(label, value) pairs summarising one session, for side-by-side tiles."""
    return [
        ("Reps", str(rec.rep_count)),
        ("Reps with knee valgus", valgus_text(rec, long=True)),
        ("Shallow reps", str(rec.shallow_reps)),
        ("KASR (mean)", _ratio(rec.kasr_mean)),
        ("Depth ratio (mean)", _ratio(rec.depth_mean)),
        ("Left/right asymmetry (mean)", _deg(rec.asymmetry_mean_deg)),
    ]


def order_pair(a: _Rec, b: _Rec) -> tuple[_Rec, _Rec]:
    """(earlier, later) by recording time, then id."""
    key = lambda r: (r.recorded_at, r.id)  # noqa: E731
    return (a, b) if key(a) <= key(b) else (b, a)


def default_comparison_pair(sessions: Sequence[Any]) -> tuple[int, int] | None:
    """Ids of the two most recent sessions (earlier, later); None with fewer than two."""
    if len(sessions) < 2:
        return None
    ordered = sorted(sessions, key=lambda r: (r.recorded_at, r.id))
    return ordered[-2].id, ordered[-1].id


def recorded_at_for(day: date, now: datetime) -> datetime:
    """When a set filmed on ``day`` was recorded, as a naive local datetime (the store reads
    naive times as local): ``now`` if ``day`` is today, else noon of that day."""
    if day == now.date():
        return now.replace(microsecond=0)
    return datetime.combine(day, time(12, 0))


# --------------------------------------------------------------------------- trend chart


def trend_long(trend: Sequence[Mapping[str, Any]], tz: tzinfo | None = None) -> list[dict[str, Any]]:
    """``Store.trend`` rows as long-format chart rows, one per (session, metric) with a
    value; valgus rate in percent. Keys: session_id, recorded_at (ISO), date, metric,
    value, display."""
    out: list[dict[str, Any]] = []
    for row in trend:
        when = row.get("recorded_at")
        try:
            shown = fmt_dt(datetime.fromisoformat(when), tz) if when else NA
        except (TypeError, ValueError):
            shown = str(when)
        for key, label, scale, _ in TREND_METRICS:
            v = _finite(row.get(key))
            if v is None:
                continue
            value = round(v * scale, 6)
            display = (f"{value:.0f}%" if key == "valgus_rate"
                       else _deg(v) if key.endswith("_deg") else _ratio(v))
            out.append({
                "session_id": row.get("session_id"),
                "recorded_at": when,
                "date": shown,
                "metric": label,
                "value": value,
                "display": display,
            })
    return out


def trend_panels(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """:func:`trend_long` rows (oldest first) grouped into one chart panel per measure, in
    :data:`TREND_METRICS` order, skipping measures with no data. Each panel::

        {"metric": label, "rows": [...], "domain": (lo, hi), "band": (lo, hi) | None,
         "threshold": float | None}

    ``band`` is the latest session's value +/- the measurement error: earlier sessions
    inside it are not meaningfully different from the latest. The y ``domain`` always
    spans the band (plus 5% padding), so a change within the error never fills the whole
    panel. The valgus rate uses a fixed 0-100 % axis and no band.
    """
    panels = []
    for _, label, _, threshold in TREND_METRICS:
        mrows = [dict(r) for r in rows if r.get("metric") == label]
        if not mrows:
            continue
        values = [float(r["value"]) for r in mrows]
        band: tuple[float, float] | None = None
        if threshold is None:
            domain = (0.0, 100.0)
        else:
            latest = values[-1]
            band = (round(latest - threshold, 6), round(latest + threshold, 6))
            lo, hi = min(min(values), band[0]), max(max(values), band[1])
            pad = 0.05 * (hi - lo)
            domain = (round(lo - pad, 6), round(hi + pad, 6))
        panels.append({"metric": label, "rows": mrows, "domain": domain, "band": band,
                       "threshold": threshold})
    return panels


def measurement_error_note() -> str:
    """Plain-words note on which session-to-session changes mean anything (the thresholds
    ``trainer.session_compare.compare_sessions`` uses)."""
    return (
        "Changes smaller than the measurement error are not meaningful: "
        f"reps with knee valgus - fewer than {VALGUS_COUNT_THRESHOLD} reps and less than "
        f"{VALGUS_RATE_THRESHOLD * 100:.0f} percentage points; "
        f"depth ratio - {DEPTH_RATIO_THRESHOLD:.2f} or less; "
        f"left/right asymmetry and knee angles - {ANGLE_SDD_DEG:.0f}° or less; "
        f"knee/ankle separation (KASR) - {KASR_THRESHOLD:.2f} or less. "
        "Small ups and downs on the chart within these ranges mean no detectable change."
    )


# --------------------------------------------------------------------------- comparison


def _fmt_value(entry: Mapping[str, Any], which: str) -> str:
    value = entry.get(which)
    if entry.get("metric") == "valgus_rate":
        reps = entry.get(f"{which}_reps") or 0
        if value is None:
            return f"{NA} (no reps)" if not reps else NA
        return f"{entry.get(f'{which}_count')} of {reps} ({value * 100:.0f}%)"
    return _deg(value) if entry.get("unit") == "deg" else _ratio(value)


def fmt_change(entry: Mapping[str, Any]) -> str:
    """``+3.2°`` / ``-0.05`` / ``+25 pts (+1 rep)``; ``-`` when not comparable."""
    change = _finite(entry.get("change"))
    if change is None:
        return "-"
    if entry.get("metric") == "valgus_rate":
        pts = f"{change * 100:+.0f} pts"
        reps = int(entry.get("count_change") or 0)
        return f"{pts} ({reps:+d} rep{'' if abs(reps) == 1 else 's'})" if reps else pts
    return f"{change:+.1f}°" if entry.get("unit") == "deg" else f"{change:+.2f}"


def comparison_rows(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """``compare_sessions(earlier, later)`` entries as table rows: Measure, Earlier, Later,
    Change, Verdict (the verdict text from ``compare_sessions``, e.g.
    ``"not meaningful (within measurement error)"``)."""
    return [
        {
            "Measure": str(e.get("label")),
            "Earlier": _fmt_value(e, "previous"),
            "Later": _fmt_value(e, "current"),
            "Change": fmt_change(e),
            "Verdict": str(e.get("verdict") or NOT_MEANINGFUL),
        }
        for e in entries
    ]


# --------------------------------------------------------------------------- files


def slug(name: str | None, fallback: str = "client") -> str:
    """A file-name-safe ASCII version of a name: ``"Łukasz  Nowak-Ó"`` -> ``"Lukasz-Nowak-O"``."""
    text = unicodedata.normalize("NFKD", str(name or "").replace("Ł", "L").replace("ł", "l"))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")
    return text[:60].rstrip("-") or fallback


def pdf_file_name(client_name: str, recorded_at: datetime, tz: tzinfo | None = None) -> str:
    return f"squat-report_{slug(client_name)}_{fmt_dt(recorded_at, tz, with_time=False)}.pdf"


def session_json_file_name(client_name: str, rec: Any, tz: tzinfo | None = None) -> str:
    day = fmt_dt(rec.recorded_at, tz, with_time=False)
    return f"squat-session_{slug(client_name)}_{day}_{rec.id}.json"


def export_file_name(client_name: str, today: date) -> str:
    return f"squatcheck-export_{slug(client_name)}_{today.isoformat()}.json"


def json_bytes(data: Any) -> bytes:
    """Pretty, UTF-8 JSON for a download."""
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
