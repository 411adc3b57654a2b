"""``python -m vision screen``: a guided screening from the command line (issue 22).

Each given clip is analysed as any clip is (``vision.analysis.analyze_video``, its step's profile), the hand
entries are checked, :func:`trainer.screening.build_screening` draws the findings, branch and plan, and the
result goes to ``--json`` (and ``--pdf``). With ``--client`` it is saved to that client's history and
compared with their previous screening (the re-test). Errors are one line on stderr, exit code 2.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

from vision.errors import SquatCheckError
from vision.options import AnalysisOptions
from trainer.screening import protocol

EXIT_OK, EXIT_BAD_INPUT = 0, 2
# (argparse dest, option, step id); the options themselves are declared in vision/__main__.py, so parsing a
# command line loads nothing of the trainer workflow
CLIP_OPTIONS = (("front", "--front", protocol.FRONT), ("side", "--side", protocol.SIDE),
                ("heels_raised", "--heels-raised", protocol.HEELS_RAISED),
                ("single_leg_left", "--single-leg-left", protocol.SINGLE_LEG_LEFT),
                ("single_leg_right", "--single-leg-right", protocol.SINGLE_LEG_RIGHT))


class ScreenInputError(SquatCheckError):
    """An option of ``screen`` cannot be used; the message says which and why."""


def parse_knee_to_wall(text: str | None) -> tuple[float | None, float | None] | None:
    """"LEFT,RIGHT" in cm -> (left, right); an empty side is None. Raises ScreenInputError with the reason."""
    if text is None:
        return None
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 2:
        raise ScreenInputError(f"--knee-to-wall-cm {text!r}: give LEFT,RIGHT in cm, e.g. 9.5,12 (a side not "
                               "measured may be left empty: ,12).")
    out = []
    for leg, p in zip(("left", "right"), parts):
        if not p:
            out.append(None)
            continue
        try:
            v = float(p)
        except ValueError:
            raise ScreenInputError(f"--knee-to-wall-cm: the {leg} value {p!r} is not a number of cm.") from None
        from trainer.screening.findings import KTW_PLAUSIBLE_CM

        lo, hi = KTW_PLAUSIBLE_CM
        if not lo <= v <= hi:
            raise ScreenInputError(f"--knee-to-wall-cm: the {leg} value {v:g} cm is outside {lo:g}-{hi:g} cm; "
                                   "check the entry.")
        out.append(v)
    if out == [None, None]:
        raise ScreenInputError("--knee-to-wall-cm: no value given; leave the option out when it was not measured.")
    return out[0], out[1]


def check_inputs(args) -> tuple[dict[str, Path], dict[str, Path]]:
    """The clips per step and the output files, checked before any analysis. Raises ScreenInputError."""
    from vision.export import folder_problem
    from vision.video import display_name

    clips = {step_id: Path(getattr(args, dest)) for dest, _o, step_id in CLIP_OPTIONS if getattr(args, dest)}
    for _dest, option, step_id in CLIP_OPTIONS:
        path = clips.get(step_id)
        if path is not None and not path.is_file():
            raise ScreenInputError(f"{option} {display_name(path)}: no such video file.")
    if not clips and args.knee_to_wall_cm is None and args.pain is None:
        raise ScreenInputError("nothing to screen: give at least one clip (--front, --side, ...) or a hand entry.")
    if args.pain_where and args.pain != "yes":
        raise ScreenInputError("--pain-where goes with --pain yes.")
    if args.db and not args.client:
        raise ScreenInputError("--db goes with --client (the client whose history the screening is saved to).")
    if args.retest_weeks < 1:
        raise ScreenInputError("--retest-weeks must be at least 1.")
    outputs = {"--json": Path(args.json)} | ({"--pdf": Path(args.pdf)} if args.pdf else {})
    seen: dict[str, str] = {}
    for option, path in outputs.items():
        if path.is_dir() or str(path).endswith(("/", os.sep)):
            raise ScreenInputError(f"{option} {display_name(path)} names a folder: give a file name.")
        why = folder_problem(path.parent)
        if why:
            raise ScreenInputError(f"{option} {display_name(path)} cannot be written: {why}.")
        if any(path.resolve() == c.resolve() for c in clips.values()):
            raise ScreenInputError(f"{option} {display_name(path)} is one of the input videos: choose another name.")
        key = os.path.abspath(path)
        if key in seen:
            raise ScreenInputError(f"{seen[key]} and {option} both name {display_name(path)}: give each its own file.")
        seen[key] = option
    return clips, outputs


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ScreenInputError(f"--date {text!r}: give the date as YYYY-MM-DD.") from None


def summary_text(s: dict) -> str:
    """A short summary for the terminal."""
    lines = [f"screening {s['screened_on']}: {s['branch']['title']}; re-test on {s['retest_on']}"]
    for f in s["findings"]:
        if f["status"] in ("fault", "possible", "refer"):
            lines.append(f"  - {f['title']}: {f['observation']}")
    if s["plan"]["withheld"]:
        lines.append(f"  plan: {s['plan']['withheld']}")
    for item in s["plan"]["items"]:
        lines.append(f"  plan: {item['name']} [{item['grade']}] for {', '.join(item['for_findings'])}")
    for n in s["not_concluded"]:
        lines.append(f"  not concluded: {n['title']}")
    return "\n".join(lines)


def run_screen(args, options: AnalysisOptions | None = None) -> int:
    """The ``screen`` subcommand. Exit 0 when screened, 2 with one line on stderr otherwise.

    ``options``: the analysis options of the command line (model, mirrored, sex); each step is
    analysed with its own profile."""
    try:
        return _run(args, options or AnalysisOptions.from_cli_args(args))
    except SquatCheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _run(args, options: AnalysisOptions) -> int:
    from vision.analysis import analyze_video
    from vision.export import write_atomic
    from trainer.screening.screen import build_screening

    ktw = parse_knee_to_wall(args.knee_to_wall_cm)
    screened_on = _date(args.date)
    clips, outputs = check_inputs(args)
    store = client = None
    if args.client:  # open the store first: a bad URL fails before minutes of analysis
        from trainer.store import Store

        store = Store.open(args.db)
        client = store.find_client(args.client) or store.create_client(args.client,
                                                                       notes="Created by a screening.")
    try:
        analyses: dict[str, dict | None] = {}
        for step in protocol.STEPS:
            path = clips.get(step.id)
            if path is None:
                continue
            if not args.quiet:
                print(f"analysing {step.title}: {path.name}", file=sys.stderr)
            analyses[step.id] = analyze_video(path, options.replace(profile=step.profile)).result
        pain = None if args.pain is None else args.pain == "yes"
        result = build_screening(analyses, knee_to_wall_cm=ktw, pain=pain, pain_where=args.pain_where,
                                 screened_on=screened_on, retest_weeks=args.retest_weeks,
                                 files={k: p.name for k, p in clips.items()})
        comparison = None
        if store is not None:
            from datetime import datetime, time

            from trainer.screening.retest import compare_screenings

            earlier = [x for x in store.list_screenings(client.id)
                       if (x.result.get("screened_on") or "") <= result["screened_on"]]
            if earlier:
                comparison = compare_screenings(earlier[-1].result, result)
                result["comparison"] = comparison
            when = datetime.combine(date.fromisoformat(result["screened_on"]), time(12, 0))
            saved = store.save_screening(client.id, result, screened_at=when,
                                         notes=f"Screening from the command line ({', '.join(sorted(clips)) or 'hand entries'})")
            result["saved"] = {"client": client.name, "client_id": client.id, "screening_id": saved.id}
    except ValueError as exc:  # an implausible hand entry found by build_screening
        raise ScreenInputError(str(exc)) from exc
    finally:
        if store is not None:
            store.close()
    write_atomic(outputs["--json"], json.dumps(result, indent=2, ensure_ascii=False))
    if "--pdf" in outputs:
        from trainer.screening.pdf import render_screening_pdf

        write_atomic(outputs["--pdf"], render_screening_pdf(result, client_name=args.client, comparison=comparison))
    if not args.quiet:
        print(summary_text(result))
    return EXIT_OK
