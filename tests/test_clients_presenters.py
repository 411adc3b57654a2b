"""Pure display shaping for the Clients page (ui.clients_presenters): exact expectations."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ui import clients_presenters as P
from trainer.session_compare import IMPROVED, NOT_COMPARABLE_VIEW, NOT_MEANINGFUL, WORSE, compare_sessions
from trainer.store import ClientRecord, SessionRecord

UTC = timezone.utc
T0 = datetime(2024, 3, 1, 9, 5, tzinfo=UTC)


def rep(index, flags=(), *, fppa_l=10.0, fppa_r=8.0, kasr=0.8, depth=0.05, asym=3.0):
    return {
        "index": index, "start_s": 2.0 * index, "bottom_s": 2.0 * index + 0.8,
        "end_s": 2.0 * index + 1.7, "flags": list(flags), "confidence": 0.9, "cues": [],
        "metrics": {"depth_ratio": depth, "kasr_min": kasr, "fppa_left_deg": fppa_l,
                    "fppa_right_deg": fppa_r, "asymmetry_deg": asym},
    }


def analysis(reps, view="front"):
    return {"schema_version": "1.0", "view": view, "reps": reps, "summary": {}}


def session(id, recorded_at, *, view="front", reps=4, valgus=1, shallow=0, kasr=0.8,
            depth=0.05, asym=3.0, fppa=10.0, notes=""):
    return SessionRecord(
        id=id, client_id=1, recorded_at=recorded_at, created_at=recorded_at, notes=notes,
        view=view, profile="bodyweight", rep_count=reps, valgus_reps=valgus,
        shallow_reps=shallow, fppa_mean_deg=fppa, fppa_worst_deg=fppa, depth_mean=depth,
        kasr_mean=kasr, asymmetry_mean_deg=asym, video_path=None, analysis={},
    )


def client(id, name, n=0, last=None, notes=""):
    return ClientRecord(id=id, name=name, created_at=T0, notes=notes, session_count=n,
                        last_recorded_at=last)


# --------------------------------------------------------------------------- formatting


def test_fmt_dt():
    assert P.fmt_dt(T0, UTC) == "2024-03-01 09:05"
    assert P.fmt_dt(T0, timezone(timedelta(hours=2))) == "2024-03-01 11:05"
    assert P.fmt_dt(T0, UTC, with_time=False) == "2024-03-01"
    assert P.fmt_dt(datetime(2024, 1, 2, 3, 4), UTC) == "2024-01-02 03:04"  # naive: as is
    assert P.fmt_dt(None) == "n/a"


def test_storage_caption():
    assert P.storage_caption("sqlite:////home/me/.local/share/squatcheck/squatcheck.db") == (
        "Stored only on this computer: /home/me/.local/share/squatcheck/squatcheck.db")
    assert P.storage_caption("sqlite://") == (
        "Stored only in memory on this computer - it is lost when the app stops.")
    assert P.storage_caption("postgresql://coach:***@gym-server/squat") == (
        "Stored in the shared database postgresql://coach:***@gym-server/squat - not only on "
        "this computer; anyone with access to that database can see it.")


def test_valgus_text():
    assert P.valgus_text(session(1, T0, reps=4, valgus=1)) == "1"
    assert P.valgus_text(session(1, T0, reps=4, valgus=1), long=True) == "1 of 4 (25%)"
    side = session(1, T0, view="side", reps=3, valgus=0)
    assert P.valgus_text(side) == "n/a"
    assert P.valgus_text(side, long=True) == "n/a (not visible from this camera angle)"
    none = session(1, T0, reps=0, valgus=0, kasr=None, fppa=None)
    assert P.valgus_text(none) == "0"
    assert P.valgus_text(none, long=True) == "0 (no reps)"


# --------------------------------------------------------------------------- clients


def test_filter_clients():
    cs = [client(1, "Anna Smith"), client(2, "Bob Jones"), client(3, "Ánna Lee"),
          client(4, "Joanna  Annan")]
    assert P.filter_clients(cs, "") == cs
    assert P.filter_clients(cs, None) == cs
    assert [c.id for c in P.filter_clients(cs, "ann")] == [1, 4]  # accents are not ignored
    assert [c.id for c in P.filter_clients(cs, "  SMITH   anna ")] == [1]  # every word, any order
    assert [c.id for c in P.filter_clients(cs, "ánna")] == [3]
    assert [c.id for c in P.filter_clients(cs, "joanna annan")] == [4]
    assert P.filter_clients(cs, "zed") == []


def test_client_label():
    assert P.client_label(client(1, "Bob")) == "Bob (no sessions yet)"
    assert P.client_label(client(1, "Anna", 1, T0), UTC) == "Anna (1 session, last 2024-03-01)"
    late = datetime(2024, 3, 1, 23, 30, tzinfo=UTC)
    assert P.client_label(client(1, "Anna", 3, late), timezone(timedelta(hours=2))) == (
        "Anna (3 sessions, last 2024-03-02)")


def test_names_match():
    assert P.names_match("Anna Smith", "Anna Smith")
    assert P.names_match("  anna   SMITH ", "Anna Smith")
    assert not P.names_match("Anna", "Anna Smith")
    assert not P.names_match("", "Anna Smith")
    assert not P.names_match(None, "Anna Smith")
    assert not P.names_match("   ", " ")


# --------------------------------------------------------------------------- sessions


def test_session_label():
    assert P.session_label(session(7, T0), UTC) == "2024-03-01 09:05 - front, 4 reps (session #7)"
    assert P.session_label(session(8, T0, view=None, reps=1), UTC) == (
        "2024-03-01 09:05 - unknown view, 1 rep (session #8)")


def test_history_rows_newest_first_with_na():
    s1 = session(1, T0, notes="first")
    s2 = session(2, T0 + timedelta(days=7), view="side", reps=3, valgus=0, shallow=2,
                 kasr=None, asym=None, fppa=None)
    s3 = session(3, T0 + timedelta(days=14), reps=5, valgus=2, kasr=0.6234, asym=4.25)
    rows = P.history_rows([s1, s3, s2], UTC)
    assert rows == [
        {"Session": 3, "Date": "2024-03-15 09:05", "View": "front", "Reps": 5,
         "Valgus reps": "2", "Shallow reps": 0, "KASR mean": "0.62", "Asymmetry": "4.2°",
         "Notes": ""},
        {"Session": 2, "Date": "2024-03-08 09:05", "View": "side", "Reps": 3,
         "Valgus reps": "n/a", "Shallow reps": 2, "KASR mean": "n/a", "Asymmetry": "n/a",
         "Notes": ""},
        {"Session": 1, "Date": "2024-03-01 09:05", "View": "front", "Reps": 4,
         "Valgus reps": "1", "Shallow reps": 0, "KASR mean": "0.80", "Asymmetry": "3.0°",
         "Notes": "first"},
    ]
    assert tuple(rows[0]) == P.HISTORY_COLUMNS
    assert P.history_rows([]) == []


def test_session_tiles():
    assert P.session_tiles(session(1, T0, reps=4, valgus=1, shallow=1, kasr=0.7, depth=-0.1,
                                   asym=5.0)) == [
        ("Reps", "4"),
        ("Reps with knee valgus", "1 of 4 (25%)"),
        ("Shallow reps", "1"),
        ("KASR (mean)", "0.70"),
        ("Depth ratio (mean)", "-0.10"),
        ("Left/right asymmetry (mean)", "5.0°"),
    ]


def test_order_and_default_pair():
    a, b, c = session(5, T0), session(2, T0 + timedelta(days=1)), session(9, T0 + timedelta(days=2))
    assert P.order_pair(b, a) == (a, b)
    assert P.order_pair(a, b) == (a, b)
    same_time = session(4, T0)
    assert P.order_pair(a, same_time) == (same_time, a)  # tie: lower id first
    assert P.default_comparison_pair([c, a, b]) == (2, 9)
    assert P.default_comparison_pair([a]) is None
    assert P.default_comparison_pair([]) is None


def test_recorded_at_for():
    now = datetime(2024, 5, 10, 15, 42, 7, 123456)
    assert P.recorded_at_for(date(2024, 5, 10), now) == datetime(2024, 5, 10, 15, 42, 7)
    assert P.recorded_at_for(date(2024, 5, 3), now) == datetime(2024, 5, 3, 12, 0)


# --------------------------------------------------------------------------- trend


def test_trend_long():
    trend = [
        {"session_id": 1, "recorded_at": T0.isoformat(), "valgus_rate": 0.25,
         "depth_mean": 0.05, "asymmetry_mean_deg": 3.0},
        {"session_id": 2, "recorded_at": (T0 + timedelta(days=7)).isoformat(),
         "valgus_rate": None, "depth_mean": -0.123, "asymmetry_mean_deg": None},
        {"session_id": 3, "recorded_at": (T0 + timedelta(days=8)).isoformat(),
         "valgus_rate": None, "depth_mean": None, "asymmetry_mean_deg": float("nan")},
    ]
    assert P.trend_long(trend, UTC) == [
        {"session_id": 1, "recorded_at": "2024-03-01T09:05:00+00:00", "date": "2024-03-01 09:05",
         "metric": "Reps with knee valgus (%)", "value": 25.0, "display": "25%"},
        {"session_id": 1, "recorded_at": "2024-03-01T09:05:00+00:00", "date": "2024-03-01 09:05",
         "metric": "Depth ratio (higher = deeper)", "value": 0.05, "display": "0.05"},
        {"session_id": 1, "recorded_at": "2024-03-01T09:05:00+00:00", "date": "2024-03-01 09:05",
         "metric": "Left/right asymmetry (°)", "value": 3.0, "display": "3.0°"},
        {"session_id": 2, "recorded_at": "2024-03-08T09:05:00+00:00", "date": "2024-03-08 09:05",
         "metric": "Depth ratio (higher = deeper)", "value": -0.123, "display": "-0.12"},
    ]
    assert P.trend_long([]) == []


def test_trend_panels_domains_and_error_bands():
    trend = [
        {"session_id": 1, "recorded_at": T0.isoformat(), "valgus_rate": 0.5,
         "depth_mean": 0.05, "asymmetry_mean_deg": 3.0},
        {"session_id": 2, "recorded_at": (T0 + timedelta(days=7)).isoformat(),
         "valgus_rate": 0.25, "depth_mean": 0.5, "asymmetry_mean_deg": None},
    ]
    panels = P.trend_panels(P.trend_long(trend, UTC))
    assert [p["metric"] for p in panels] == [
        "Reps with knee valgus (%)", "Depth ratio (higher = deeper)", "Left/right asymmetry (°)"]
    valgus, depth, asym = panels
    assert [r["value"] for r in valgus["rows"]] == [50.0, 25.0]
    assert (valgus["domain"], valgus["band"], valgus["threshold"]) == ((0.0, 100.0), None, None)
    # band = latest (0.5) +/- 0.15; data 0.05..0.65 -> padded by 5% of 0.6
    assert depth["band"] == (0.35, 0.65) and depth["threshold"] == 0.15
    assert depth["domain"] == (0.02, 0.68)
    # a single value: the axis spans exactly the +/-9 deg error band (+5%)
    assert asym["band"] == (-6.0, 12.0)
    assert asym["domain"] == (-6.9, 12.9)
    assert [r["session_id"] for r in asym["rows"]] == [1]
    assert P.trend_panels([]) == []


def test_measurement_error_note_uses_compare_thresholds():
    assert P.measurement_error_note() == (
        "Changes smaller than the measurement error are not meaningful: reps with knee valgus "
        "- fewer than 2 reps and less than 25 percentage points; depth ratio - 0.15 or less; "
        "left/right asymmetry and knee angles - 9° or less; knee/ankle separation (KASR) - "
        "0.10 or less. Small ups and downs on the chart within these ranges mean no "
        "detectable change."
    )


# --------------------------------------------------------------------------- comparison


def test_comparison_rows_small_change_is_not_meaningful():
    prev = analysis([rep(i, ["knee_valgus"] if i == 1 else []) for i in range(1, 5)])
    curr = analysis([rep(i, ["knee_valgus"] if i == 1 else [], fppa_l=12.0, kasr=0.75,
                         depth=0.1, asym=4.0) for i in range(1, 5)])
    rows = P.comparison_rows(compare_sessions(prev, curr))
    assert rows == [
        {"Measure": "Reps with knee valgus", "Earlier": "1 of 4 (25%)", "Later": "1 of 4 (25%)",
         "Change": "+0 pts", "Verdict": NOT_MEANINGFUL},
        {"Measure": "Left knee FPPA (mean)", "Earlier": "10.0°", "Later": "12.0°",
         "Change": "+2.0°", "Verdict": NOT_MEANINGFUL},
        {"Measure": "Right knee FPPA (mean)", "Earlier": "8.0°", "Later": "8.0°",
         "Change": "+0.0°", "Verdict": NOT_MEANINGFUL},
        {"Measure": "Knee/ankle separation ratio (mean KASR)", "Earlier": "0.80",
         "Later": "0.75", "Change": "-0.05", "Verdict": NOT_MEANINGFUL},
        {"Measure": "Depth ratio (mean)", "Earlier": "0.05", "Later": "0.10",
         "Change": "+0.05", "Verdict": NOT_MEANINGFUL},
        {"Measure": "Left/right asymmetry (mean)", "Earlier": "3.0°", "Later": "4.0°",
         "Change": "+1.0°", "Verdict": NOT_MEANINGFUL},
    ]
    assert NOT_MEANINGFUL == "not meaningful (within measurement error)"


def test_comparison_rows_meaningful_and_not_comparable():
    prev = analysis([rep(i, [], fppa_l=5.0) for i in range(1, 5)])
    curr = analysis([rep(i, ["knee_valgus"] if i <= 2 else [], fppa_l=20.0) for i in range(1, 5)])
    by = {r["Measure"]: r for r in P.comparison_rows(compare_sessions(prev, curr))}
    assert by["Reps with knee valgus"] == {
        "Measure": "Reps with knee valgus", "Earlier": "0 of 4 (0%)", "Later": "2 of 4 (50%)",
        "Change": "+50 pts (+2 reps)", "Verdict": WORSE}
    assert by["Left knee FPPA (mean)"]["Change"] == "+15.0°"
    assert by["Left knee FPPA (mean)"]["Verdict"] == WORSE
    back = {r["Measure"]: r for r in P.comparison_rows(compare_sessions(curr, prev))}
    assert back["Reps with knee valgus"]["Verdict"] == IMPROVED
    assert back["Reps with knee valgus"]["Change"] == "-50 pts (-2 reps)"

    side = analysis([rep(1, [], fppa_l=None, fppa_r=None, kasr=None)], view="side")
    rows = {r["Measure"]: r for r in P.comparison_rows(compare_sessions(prev, side))}
    assert rows["Reps with knee valgus"] == {
        "Measure": "Reps with knee valgus", "Earlier": "0 of 4 (0%)", "Later": "n/a",
        "Change": "-", "Verdict": NOT_COMPARABLE_VIEW}
    empty = analysis([])
    rows = {r["Measure"]: r for r in P.comparison_rows(compare_sessions(prev, empty))}
    assert rows["Reps with knee valgus"]["Later"] == "n/a (no reps)"
    assert rows["Depth ratio (mean)"]["Later"] == "n/a"


def test_fmt_change():
    assert P.fmt_change({"metric": "valgus_rate", "change": 0.25, "count_change": 1}) == "+25 pts (+1 rep)"
    assert P.fmt_change({"metric": "valgus_rate", "change": -0.1, "count_change": 0}) == "-10 pts"
    assert P.fmt_change({"metric": "kasr_mean", "unit": "ratio", "change": 0.1234}) == "+0.12"
    assert P.fmt_change({"metric": "x", "unit": "deg", "change": -9.05}) == "-9.1°"
    assert P.fmt_change({"metric": "x", "unit": "deg", "change": None}) == "-"


# --------------------------------------------------------------------------- files


def test_file_names():
    assert P.slug("Anna Smith") == "Anna-Smith"
    assert P.slug("  Łukasz  Nowak-Ó ") == "Lukasz-Nowak-O"
    assert P.slug("Ксения") == "client"
    assert P.slug("../../etc/passwd") == "etc-passwd"
    assert P.slug("x" * 100) == "x" * 60
    assert P.pdf_file_name("Anna Smith", T0, UTC) == "squat-report_Anna-Smith_2024-03-01.pdf"
    assert P.session_json_file_name("Anna Smith", session(12, T0), UTC) == (
        "squat-session_Anna-Smith_2024-03-01_12.json")
    assert P.export_file_name("José Ñuñez", date(2024, 6, 2)) == (
        "squatcheck-export_Jose-Nunez_2024-06-02.json")


def test_json_bytes(tmp_path: Path):
    data = {"client": {"name": "Łukasz"}, "n": [1, 2.5, None]}
    out = P.json_bytes(data)
    assert isinstance(out, bytes)
    assert "Łukasz".encode() in out  # readable UTF-8, not \\u escapes
    assert json.loads(out) == data
    rec = session(3, T0, notes="ok")
    assert json.loads(P.json_bytes(rec.to_dict()))["notes"] == "ok"


@pytest.mark.parametrize("bad", [None, "x", float("inf")])
def test_non_numbers_show_na(bad):
    s = session(1, T0, kasr=bad, asym=bad, depth=bad)
    tiles = dict(P.session_tiles(s))
    assert tiles["KASR (mean)"] == tiles["Depth ratio (mean)"] == "n/a"
    assert tiles["Left/right asymmetry (mean)"] == "n/a"


@pytest.mark.parametrize("raw, shown", [
    ("![t](http://HOST/x.png)", r"\!\[t\]\(http\://HOST/x.png\)"),
    ("[click](http://evil.example)", r"\[click\]\(http\://evil.example\)"),
    ("<img src=x onerror=alert(1)>", r"\<img src=x onerror=alert\(1\)\>"),
    (":red[Anna] **bold** $x$ `code`", r"\:red\[Anna\] \*\*bold\*\* \$x\$ \`code\`"),
    ("- list\n1. one\n# head", "\\- list  \n1\\. one  \n\\# head"),
    ("see www.evil.example", r"see www\.evil.example"),
    ("Anna Smith-Jones, 3.5 km", "Anna Smith-Jones, 3.5 km"),  # ordinary text stays as it is
])
def test_md_text_shows_markdown_and_html_as_typed(raw, shown):
    assert P.md_text(raw) == shown


@pytest.mark.parametrize("cell, safe", [
    ('=HYPERLINK("http://HOST","click")', '\'=HYPERLINK("http://HOST","click")'),
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("-3.5", "-3.5"), ("+2", "+2"), ("1e-3", "1e-3"), (-3.5, -3.5), (7, 7), (None, None),
    ("left knee = caves", "left knee = caves"), ("", ""),
])
def test_csv_safe_neutralises_formula_cells(cell, safe):
    assert P.csv_safe(cell) == safe


def test_csv_safe_text_quotes_every_formula_cell_and_keeps_the_rest():
    import csv
    import io

    raw = 'rep,cue,fppa\n1,"=HYPERLINK(""http://HOST"",""x"")",-12.5\n2,"@cmd, with comma",3\n'
    rows = list(csv.reader(io.StringIO(P.csv_safe_text(raw))))
    assert rows == [["rep", "cue", "fppa"], ["1", '\'=HYPERLINK("http://HOST","x")', "-12.5"],
                    ["2", "'@cmd, with comma", "3"]]
    clean = "rep,cue\n1,knees out\n"
    assert P.csv_safe_text(clean) == clean
