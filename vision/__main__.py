"""Command line: ``python -m vision analyze VIDEO|FOLDER [options]`` and ``python -m vision fetch-models``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from vision.errors import SquatCheckError
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
    a.add_argument("--view", choices=("auto", "front", "side"), default="auto", help="camera view (default: detect)")
    a.add_argument("--profile", choices=sorted(PROFILES), default="bodyweight")
    a.add_argument("--model", default="full", help="lite, full (bundled, default), heavy, or a .task path")
    a.add_argument("--mirrored", action="store_true", help="the video is a mirror image (selfie/webcam recording)")
    a.add_argument("--sex", choices=("female", "male"), help="selects the single-leg FPPA norm (single-leg profile)")
    a.add_argument("--workers", type=int, default=None,
                   help="processes for clips of 20 s or more (default: every core, at most 2; 1 = one process; "
                        "with --cluster: per clip, default 1)")
    a.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    a.add_argument("--cluster", metavar="local|auto|ray://HOST:PORT",
                   help="analyse a FOLDER on a Ray cluster, one task per clip, resumable: 'local' starts one for "
                        "the run, 'auto' joins RAY_ADDRESS's, or an address (see README)")
    a.add_argument("--summary", metavar="FILE.csv",
                   help="with --cluster: one row per clip (default: summary.csv in the --json folder)")
    f = sub.add_parser("fetch-models", help="download MediaPipe's Lite/Heavy bundles (needs internet)")
    f.add_argument("names", nargs="+", choices=("lite", "heavy"))
    f.add_argument("--sha256", help="expected SHA-256 of the download (one name only)")
    return p


def _outputs(args, clip: Path, many: bool) -> dict[str, Path | None]:
    def pick(value, suffix):
        if not value:
            return None
        return Path(value) / f"{clip.stem}{suffix}" if many else Path(value)
    return {"json": pick(args.json, ".json"), "csv": pick(args.csv, ".csv"),
            "video": pick(args.video_out, ".annotated.mp4"), "pdf": pick(args.pdf, ".pdf")}


def summary_text(result: dict) -> str:
    s = result["summary"]
    lines = [f"{result['source']['file']}: {s['rep_count']} rep(s), view {result['view']}"
             + (f", {s['valgus_reps']} with knee valgus" if result["view"] == "front" else "")
             + f", {s['shallow_reps']} shallow"]
    for rep in result["reps"]:
        flags = ", ".join(rep["flags"]) or "ok"
        lines.append(f"  rep {rep['index']}: {rep['start_s']:.1f}-{rep['end_s']:.1f}s  {flags:<28} "
                     f"confidence {rep['confidence']:.2f}  {rep['cues'][0]}")
    for prob in result["problems"]:
        lines.append(f"  ! {prob['code']}: {prob['message']}")
    return "\n".join(lines)


def analyze_one(clip: Path, args, many: bool) -> None:
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
        analysis = analyze_video(clip, view=args.view, profile=args.profile, model=args.model,
                                 mirrored=args.mirrored, progress=progress, sex=args.sex, workers=args.workers)
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
        from vision.overlay import render_annotated_video

        render_annotated_video(clip, analysis, out["video"])
    if out["pdf"]:
        from vision.report import pdf_for_analysis

        write_atomic(out["pdf"], pdf_for_analysis(clip, analysis))
    if not args.quiet:
        print(summary_text(result))


def run_analyze(args) -> int:
    from vision.video import is_supported_extension

    if args.cluster:
        from vision.batch import options_from_args, run_batch

        return run_batch(options_from_args(args))
    if args.summary:
        print("error: --summary goes with --cluster (the batch summary); add --cluster local.", file=sys.stderr)
        return EXIT_BAD_INPUT
    target = Path(args.video)
    if target.is_dir():
        clips = sorted(p for p in target.iterdir() if p.is_file() and is_supported_extension(p))
        if not clips:
            print(f"error: no video files (mp4, mov, m4v, webm, avi, mkv) in folder '{target}'.", file=sys.stderr)
            return EXIT_BAD_INPUT
    else:
        clips = [target]
    failed = 0
    for clip in clips:
        try:
            analyze_one(clip, args, many=target.is_dir())
        except SquatCheckError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
    return EXIT_BAD_INPUT if failed else EXIT_OK


def run_fetch(args) -> int:
    from vision.model_fetch import fetch_model

    if args.sha256 and len(args.names) > 1:
        print("error: --sha256 checks one download; name one model.", file=sys.stderr)
        return EXIT_BAD_INPUT
    for name in args.names:
        try:
            path = fetch_model(name, sha256=args.sha256)
            print(f"installed {path.name}")
        except SquatCheckError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return run_analyze(args) if args.command == "analyze" else run_fetch(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
