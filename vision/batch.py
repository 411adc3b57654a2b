"""Batch analysis of a folder of clips on a Ray cluster: ``python -m vision analyze FOLDER --cluster ...``.

One Ray task per clip (``max_retries=1``: Ray runs a clip again, once, when the worker process or
the node running it dies). The driver (this process) does everything that touches the user's
files, so the workers need no shared storage:

* it plans the batch: lists the clips, decides which existing JSONs can be kept (``skipped``),
* it probes each clip (``vision.video.probe``: metadata and the first frame) just before sending it:
  a clip that cannot be read is an ``error`` row with the sequential CLI's message, and a clip of
  8 s or more gets as many CPUs as the sequential run would use pose threads for it (``--workers``,
  default every core up to 2), so its result is the sequential one,
* it ships each clip's *bytes* to its task, a bounded number at a time (about two per cluster CPU),
* the task writes the bytes to a private temp file, runs :func:`vision.analysis.analyze_video`
  with the sequential CLI's settings, and returns the outputs (JSON and CSV text, MP4 and PDF bytes),
* the driver writes them atomically (the JSON last, so a JSON on disk means the clip is complete)
  and rewrites the summary CSV as clips finish.

Resume: a clip is skipped when its JSON exists, names the same clip, and has the same
``schema_version``, ``engine.version`` and ``settings`` (every setting that can change a result,
``vision.analysis.analysis_settings``) as this run would give, and every other requested output
exists (a missing per-rep CSV is rebuilt from the JSON; a missing MP4 or PDF means analysing again).

Failures never stop the batch: an unreadable clip, a worker that died twice, a lost node become one
``error`` row with a one-line message. Only a cluster that cannot be reached (or is lost) ends it.

Ray is imported only here, and only when ``--cluster`` is given.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import socket
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from vision.errors import SquatCheckError
from vision.options import AnalysisOptions
from vision.video import display_name

log = logging.getLogger(__name__)

SUMMARY_COLUMNS = ("file", "status", "rep_count", "flagged_reps", "view", "error", "seconds", "node", "worker_pid")
OK, SKIPPED, ERROR = "ok", "skipped", "error"
EXIT_OK, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 2, 130

LOCAL_OBJECT_STORE_BYTES = 512 * 1024**2   # clips in flight only; Ray spills to disk beyond this
CONNECT_CHECK_TIMEOUT_S = 5.0
SUMMARY_EVERY_S = 1.0                      # rewrite the summary at most this often while running
WAIT_POLL_S = 0.5
# What a worker of a remote cluster needs from this checkout: the code and the pose models.
SHIPPED_TOP_LEVEL = ("vision", "models")


class ClusterError(SquatCheckError):
    """The Ray cluster could not be reached, or was lost mid-batch."""


# --------------------------------------------------------------------------------------------------
# Planning (no Ray)
# --------------------------------------------------------------------------------------------------


@dataclass
class BatchOptions:
    folder: Path
    cluster: str
    json_dir: Path | None = None
    csv_dir: Path | None = None
    video_dir: Path | None = None
    pdf_dir: Path | None = None
    summary: Path | None = None
    # view, profile, model, mirrored, sex; workers: pose threads for a clip of 8 s or more, as --workers
    # (None: as sequential)
    analysis: AnalysisOptions = AnalysisOptions()
    quiet: bool = False
    # (result JSON dict, worst rep's bottom frame RGB or None) -> PDF bytes; given by the command line,
    # which owns the report (trainer.pdf_report): the engine draws no reports itself
    render_pdf: Callable[[dict, Any], bytes] | None = None
    # (clip path, result JSON dict, worst rep's bottom frame or None) -> None, after a clip's other outputs
    # and before its JSON (so a clip whose JSON exists was also passed here): e.g. save it to a client
    on_result: Callable[[Path, dict, Any], None] | None = None

    @property
    def summary_path(self) -> Path:
        if self.summary:
            return self.summary
        assert self.json_dir is not None, "run_batch requires --json DIR or --summary FILE"
        return self.json_dir / "summary.csv"

    @property
    def clip_workers(self) -> int:
        """``--workers``, or the sequential default: every core up to 2 (a local cluster: this machine's)."""
        from vision.analysis import MAX_AUTO_WORKERS

        if self.analysis.workers is not None:
            return max(1, self.analysis.workers)
        return min(_local_cpus(), MAX_AUTO_WORKERS) if self.cluster == "local" else MAX_AUTO_WORKERS


@dataclass
class Clip:
    path: Path
    outputs: dict[str, Path | None]
    row: dict | None = None          # set once the clip is done (skipped, ok or error)
    rebuild_csv: dict | None = None  # skipped, but its per-rep CSV is missing: rebuild from this JSON

    @property
    def name(self) -> str:
        return self.path.name


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def row_for(clip: Clip, status: str, *, doc: dict | None = None, error: str = "", seconds: float | None = None,
            node: str = "", pid: int | None = None) -> dict:
    summary = (doc or {}).get("summary") or {}
    return {"file": clip.name, "status": status, "rep_count": summary.get("rep_count", ""),
            "flagged_reps": summary.get("flagged_reps", ""), "view": (doc or {}).get("view", ""),
            "error": _one_line(error), "seconds": "" if seconds is None else f"{seconds:.2f}", "node": node,
            "worker_pid": "" if pid is None else pid}


def expected_settings(opts: BatchOptions, model_sha256: str, duration_s: float) -> dict:
    """``result["settings"]`` that analysing a clip of ``duration_s`` with these options gives."""
    from vision.analysis import pose_workers

    return opts.analysis.settings(model_sha256=model_sha256, workers=pose_workers(opts.clip_workers, duration_s))


def reusable_result(clip: Clip, opts: BatchOptions, model_sha256: str) -> dict | None:
    """The clip's existing JSON when this run would produce the same one, else None."""
    from vision import __version__
    from vision.analysis import SCHEMA_VERSION

    path = clip.outputs["json"]
    if path is None or not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        same = (doc.get("schema_version") == SCHEMA_VERSION
                and doc["engine"]["version"] == __version__
                and doc["source"]["file"] == clip.name
                and doc.get("settings") == json.loads(json.dumps(
                    expected_settings(opts, model_sha256, float(doc["video"]["duration_s"])))))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return doc if same else None


def _output_paths(opts: BatchOptions, clip: Path) -> dict[str, Path | None]:
    def pick(folder, suffix):
        return folder / f"{clip.stem}{suffix}" if folder else None
    return {"json": pick(opts.json_dir, ".json"), "csv": pick(opts.csv_dir, ".csv"),
            "video": pick(opts.video_dir, ".annotated.mp4"), "pdf": pick(opts.pdf_dir, ".pdf")}


def plan(opts: BatchOptions, model_sha256: str) -> list[Clip]:
    """Every clip of the folder, in name order; those that need no work already carry their row.

    Raises:
        SquatCheckError: no clips in the folder, or the summary would overwrite a clip's output.
    """
    from vision.video import is_supported_extension

    paths = sorted(p for p in opts.folder.iterdir() if p.is_file() and is_supported_extension(p))
    if not paths:
        raise SquatCheckError(f"no video files (mp4, mov, m4v, webm, avi, mkv) in folder '{opts.folder}'.")
    clips = [Clip(p, _output_paths(opts, p)) for p in paths]
    summary = opts.summary_path.resolve()
    owner: dict[Path, Clip] = {}
    for clip in clips:
        for out in clip.outputs.values():
            if out is None:
                continue
            if out.resolve() == summary:
                raise SquatCheckError(f"the summary {display_name(opts.summary_path)} would overwrite an output of "
                                      f"{display_name(clip.path)}; choose another --summary file.")
            first = owner.setdefault(out.resolve(), clip)
            if first is not clip and clip.row is None:
                clip.row = row_for(clip, ERROR, error=(
                    f"Could not analyse {display_name(clip.path)}: {display_name(first.path)} writes the same output "
                    f"{display_name(out.name)}. Rename one of the two clips and run again."))
    for clip in clips:
        if clip.row is not None:
            continue
        doc = reusable_result(clip, opts, model_sha256)
        if doc is None:
            continue
        missing = {k for k, p in clip.outputs.items() if p is not None and not p.is_file()}
        if missing <= {"csv"}:
            clip.row = row_for(clip, SKIPPED, doc=doc)
            clip.rebuild_csv = doc if missing else None
    return clips


class SummaryWriter:
    """The summary CSV, rewritten atomically (in plan order) as clips finish."""

    def __init__(self, path: Path, clips: list[Clip]):
        self.path, self.clips, self._last = path, clips, 0.0

    def text(self) -> str:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=SUMMARY_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(c.row for c in self.clips if c.row is not None)
        return buf.getvalue()

    def write(self, force: bool = False) -> None:
        from vision.export import write_atomic

        if force or time.monotonic() - self._last >= SUMMARY_EVERY_S:
            write_atomic(self.path, self.text())
            self._last = time.monotonic()


# --------------------------------------------------------------------------------------------------
# The task (runs on a Ray worker; no Ray needed to call it directly)
# --------------------------------------------------------------------------------------------------


def analyze_clip(name: str, display: str, data: bytes, options: AnalysisOptions, outputs: dict,
                 model_data: bytes | None = None) -> dict:
    """Analyse one clip given as bytes; return its outputs. Never raises for a bad clip.

    ``display`` is the clip's path on the driver: error messages name it (not this worker's temp
    file), so they read exactly as the sequential CLI's. ``options``: the analysis options (its
    ``workers`` already this clip's). ``outputs``: ``csv``/``video``/``worst_frame`` (bools: which
    outputs to make). ``model_data``: the model file's bytes when ``options.model`` is a path on the
    driver, or lite/heavy (git-ignored, so not in the shipped checkout).
    """
    t0 = time.perf_counter()
    info = {"node": _node_address(), "pid": os.getpid()}
    with tempfile.TemporaryDirectory(prefix="squatcheck-batch-") as tmp:
        clip = Path(tmp) / name
        try:
            from vision.analysis import analyze_video
            from vision.export import to_csv, to_json

            clip.write_bytes(data)
            run = options
            if model_data is not None:
                model = Path(tmp) / (Path(options.model).name or "model.task")
                model.write_bytes(model_data)
                run = options.replace(model=str(model))
            analysis = analyze_video(clip, run)
            result = analysis.result
            if model_data is not None:  # the path the user gave, as the sequential run records it
                result["engine"]["model"] = result["settings"]["model"] = options.model
            out = {"status": OK, "json": to_json(result), "summary": dict(result["summary"]), "view": result["view"]}
            if outputs.get("csv"):
                out["csv"] = to_csv(result)
            if outputs.get("video"):
                from vision.render import render_annotated_video

                render_annotated_video(clip, analysis, Path(tmp) / "annotated.mp4")
                out["video"] = (Path(tmp) / "annotated.mp4").read_bytes()
            if outputs.get("worst_frame"):  # for the driver's report (render_pdf) and saved session (on_result)
                from vision.render import worst_rep_frame

                out["worst_frame"] = worst_rep_frame(clip, analysis)
        except SquatCheckError as exc:
            out = {"status": ERROR, "error": str(exc).replace(str(clip), display)}
        except Exception as exc:  # a bug: one row for this clip, the traceback in the worker's log
            log.error("analysing %s failed:\n%s", display, traceback.format_exc())
            reason = _one_line(f"{type(exc).__name__}: {exc}").replace(str(clip), display)
            out = {"status": ERROR, "error": f"Could not analyse {display_name(display)}: internal error ({reason}). "
                                             "Please report it with the clip."}
    return out | info | {"seconds": time.perf_counter() - t0}


def _node_address() -> str:
    try:
        import ray

        return ray.util.get_node_ip_address()
    except Exception:  # not on Ray (direct call)
        return socket.gethostname()


# --------------------------------------------------------------------------------------------------
# The cluster
# --------------------------------------------------------------------------------------------------


def _import_ray():
    try:
        import ray
    except ImportError as exc:
        raise ClusterError("--cluster needs Ray, which is not installed: pip install -r requirements.txt") from exc
    return ray


def _host_port(address: str) -> tuple[str, int] | None:
    rest = address.removeprefix("ray://")
    host, sep, port = rest.rpartition(":")
    if not sep or not host or not port.isdigit() or "/" in rest:
        return None
    return host.strip("[]"), int(port)


def _check_reachable(address: str) -> None:
    """Fail fast (seconds, not Ray's 30 s retry loop) when nothing listens at ``address``."""
    hp = _host_port(address)
    if hp is None:
        raise ClusterError(f"--cluster {address!r} is not an address: use local, auto, ray://HOST:PORT "
                           "(Ray Client, port 10001 by default) or HOST:PORT (the head's GCS, from a cluster node).")
    try:
        with socket.create_connection(hp, timeout=CONNECT_CHECK_TIMEOUT_S):
            pass
    except OSError as exc:
        reason = _one_line(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)
        raise ClusterError(f"cannot reach the Ray cluster at {address} ({reason}). Start it with "
                           "`ray start --head` and check the address and port (see README).") from exc


@contextlib.contextmanager
def _stderr_captured():
    """Collect what Ray prints on file descriptor 2 (its C++ core too) while connecting."""
    captured: list[str] = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield captured
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            captured.append(tmp.read().decode("utf-8", errors="replace"))


def _local_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _runtime_env(repo: Path) -> dict:
    """Ship this checkout's code and models to the workers (nothing else: not tests, clips or outputs)."""
    excludes = [f"/{p.name}" for p in repo.iterdir() if p.name not in SHIPPED_TOP_LEVEL]
    return {"working_dir": str(repo), "excludes": excludes + ["__pycache__"]}


@dataclass
class Cluster:
    address: str
    owned: bool            # this run connected (or started) it, so this run disconnects (or stops) it
    info: dict = field(default_factory=dict)

    def close(self) -> None:
        if self.owned:
            import ray

            ray.shutdown()


def connect(cluster: str) -> Cluster:
    """Start (``local``) or join (``auto``, ``ray://HOST:PORT``, ``HOST:PORT``) a Ray cluster.

    A process already connected to Ray (``ray.init`` called before, e.g. by a test) keeps its
    connection and this batch leaves it open.

    Raises:
        ClusterError: Ray missing, a malformed or unreachable address, or a failed connection.
    """
    ray = _import_ray()
    if ray.is_initialized():
        return Cluster(cluster, owned=False)
    repo = Path(__file__).resolve().parent.parent
    t0 = time.perf_counter()
    if cluster == "local":
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")   # an offline tool: no usage report
        try:
            ray.init(address="local", num_cpus=_local_cpus(), include_dashboard=False,
                     object_store_memory=LOCAL_OBJECT_STORE_BYTES, logging_level=logging.ERROR,
                     log_to_driver=False)
        except Exception as exc:
            raise ClusterError(f"could not start a local Ray: {_one_line(exc)}") from exc
        return Cluster("local", owned=True, info={"startup_s": time.perf_counter() - t0})
    address = cluster
    if cluster == "auto":
        address = os.environ.get("RAY_ADDRESS", "").strip() or "auto"
    if address != "auto":
        _check_reachable(address)
    try:
        with _stderr_captured() as noise:
            ray.init(address=address if cluster != "auto" else "auto", runtime_env=_runtime_env(repo),
                     logging_level=logging.ERROR, log_to_driver=False)
    except Exception as exc:
        text = f"{exc} {''.join(noise)}".lower()
        if address == "auto":   # a cluster found that way uses this machine's token by itself
            hint = ""
        elif not os.environ.get("RAY_AUTH_MODE"):
            hint = (" If the cluster uses token authentication (Ray's default), set RAY_AUTH_MODE=token and give "
                    "its token (RAY_AUTH_TOKEN, or the head's ~/.ray/auth_token).")
        elif "auth" in text:
            hint = " The cluster refused the authentication token: use the head's token (RAY_AUTH_TOKEN)."
        else:
            hint = ""
        where = address if address != "auto" else "auto (no RAY_ADDRESS set and no local `ray start` cluster)"
        raise ClusterError(f"could not connect to the Ray cluster at {where}: {_one_line(exc).rstrip('.')}.{hint}") \
            from exc
    return Cluster(address, owned=True, info={"startup_s": time.perf_counter() - t0})


def _ray_failure(ray, exc: BaseException, clip: Clip) -> str:
    """One line for a task Ray could not finish (after its retry)."""
    e = ray.exceptions
    what = display_name(clip.path)
    if isinstance(exc, getattr(e, "OutOfMemoryError", ())):
        return f"Could not analyse {what}: Ray's memory monitor stopped it (the node ran out of memory)."
    if isinstance(exc, getattr(e, "NodeDiedError", ())):
        return f"Could not analyse {what}: the node running it was lost, and so was its retry."
    if isinstance(exc, e.WorkerCrashedError):
        return (f"Could not analyse {what}: the worker analysing it died (killed, out of memory or crashed), "
                "and so did its retry. Run again to retry it.")
    if isinstance(exc, e.TaskCancelledError):
        return f"Could not analyse {what}: the task was cancelled."
    if isinstance(exc, e.ObjectLostError):
        return f"Could not analyse {what}: its data was lost from the cluster (a node went down). Run again."
    if isinstance(exc, getattr(e, "RuntimeEnvSetupError", ())):
        return f"Could not analyse {what}: the cluster could not set up the worker environment: {_first_line(exc)}"
    if isinstance(exc, e.RayTaskError):
        return f"Could not analyse {what}: internal error ({_first_line(exc.cause or exc)}). Please report it."
    return f"Could not analyse {what}: Ray error {type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return (lines[0] if lines else type(exc).__name__)[:300]


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------


class _Progress:
    """A clip-count bar on a terminal; failures printed as they happen (always, like the sequential CLI)."""

    def __init__(self, total: int, done: int, show_bar: bool):
        self.counts = {OK: 0, SKIPPED: 0, ERROR: 0}
        self.bar = None
        if show_bar:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, unit="clip", desc="clips", file=sys.stderr, leave=True)

    def add(self, row: dict, live: bool = True) -> None:
        self.counts[row["status"]] += 1
        if row["status"] == ERROR:
            line = f"error: {row['error']}"
            if self.bar:
                self.bar.write(line, file=sys.stderr)
            else:
                print(line, file=sys.stderr, flush=True)
        if self.bar:
            self.bar.set_postfix_str(", ".join(f"{v} {k}" for k, v in self.counts.items() if v), refresh=not live)
            if live:
                self.bar.update(1)

    def describe(self, text: str) -> None:
        if self.bar:
            self.bar.set_description_str(text)

    def close(self) -> None:
        if self.bar:
            self.bar.close()
            self.bar = None


def _write_outputs(clip: Clip, out: dict, opts: BatchOptions) -> None:
    from vision.export import write_atomic

    if clip.outputs["pdf"] is not None:
        if opts.render_pdf is None:
            raise SquatCheckError("--pdf needs a report renderer (BatchOptions.render_pdf)")
        out["pdf"] = opts.render_pdf(json.loads(out["json"]), out.get("worst_frame"))
    for key in ("csv", "video", "pdf"):
        if (target := clip.outputs[key]) is not None:
            write_atomic(target, out[key])
    if opts.on_result is not None:
        opts.on_result(clip.path, json.loads(out["json"]), out.get("worst_frame"))
    if clip.outputs["json"] is not None:
        write_atomic(clip.outputs["json"], out["json"])   # last: a JSON on disk means the clip is complete


def run_batch(opts: BatchOptions) -> int:
    """Analyse every clip of ``opts.folder`` on the cluster; return the exit code (0, 2, or 130)."""
    from vision.export import to_csv, write_atomic
    from vision.pose import file_sha256, resolve_model

    try:
        if opts.json_dir is None and opts.summary is None:
            raise SquatCheckError("--cluster needs --json DIR (the results, which a rerun resumes from) "
                                  "or --summary FILE.")
        if not opts.folder.is_dir():
            raise SquatCheckError(f"--cluster analyses a folder of clips; {display_name(opts.folder)} is not a folder "
                                  "(drop --cluster to analyse one clip).")
        model_path = resolve_model(opts.analysis.model)
        clips = plan(opts, file_sha256(model_path))
    except SquatCheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    summary = SummaryWriter(opts.summary_path, clips)
    todo = [c for c in clips if c.row is None]
    progress = _Progress(len(clips), len(clips) - len(todo), show_bar=not opts.quiet and sys.stderr.isatty())
    cluster = None
    code = EXIT_OK
    report = True   # write the summary and print the totals (not when the cluster was never reached)
    try:
        for clip in clips:
            if clip.rebuild_csv is not None and (csv_path := clip.outputs["csv"]) is not None:
                try:
                    write_atomic(csv_path, to_csv(clip.rebuild_csv))
                except OSError as exc:
                    clip.row = row_for(clip, ERROR, error=f"Could not write the CSV of {display_name(clip.path)}: "
                                                          f"{_one_line(exc.strerror or exc)}.")
            if clip.row is not None:
                progress.add(clip.row, live=False)
        if todo:
            progress.describe("starting Ray" if opts.cluster == "local" else "connecting")
            cluster = connect(opts.cluster)
            progress.describe("clips")
            _run_tasks(todo, opts, model_path, summary, progress)
    except ClusterError as exc:
        code, report = EXIT_BAD_INPUT, cluster is not None
        progress.close()
        print(f"error: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
        progress.close()
        print("interrupted: finished clips are kept; run the same command again to resume", file=sys.stderr)
    finally:
        progress.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
    if report:
        try:
            summary.write(force=True)
        except OSError as exc:
            print(f"error: could not write the summary {display_name(opts.summary_path)}: "
                  f"{_one_line(exc.strerror or exc)}", file=sys.stderr)
            code = code or EXIT_BAD_INPUT
    counts = {status: sum(c.row is not None and c.row["status"] == status for c in clips) for status in (OK, SKIPPED, ERROR)}
    if code == EXIT_OK and counts[ERROR]:
        code = EXIT_BAD_INPUT
    if report and not opts.quiet and code != EXIT_INTERRUPTED:
        print(f"{len(clips)} clip(s): {counts[OK]} ok, {counts[SKIPPED]} skipped, {counts[ERROR]} error; "
              f"summary {opts.summary_path}")
    return code


def _run_tasks(todo: list[Clip], opts: BatchOptions, model_path: Path, summary: SummaryWriter,
               progress: _Progress) -> None:
    import ray

    from vision.analysis import pose_workers
    from vision.video import probe

    task = ray.remote(max_retries=1, retry_exceptions=False)(analyze_clip)
    outputs = {"csv": opts.csv_dir is not None, "video": opts.video_dir is not None,
               "worst_frame": opts.pdf_dir is not None or opts.on_result is not None}
    # Full ships with the checkout (working_dir); Lite/Heavy are git-ignored, which Ray's working_dir
    # upload skips, so they travel as bytes like a model given by path.
    model_ref = None if opts.analysis.model == "full" else ray.put(model_path.read_bytes())
    max_workers = _largest_node(ray, opts)

    def finish(clip: Clip, row: dict) -> None:
        clip.row = row
        progress.add(row)
        summary.write()

    pending = list(reversed(todo))
    running: dict = {}
    window_at = 0.0
    window = 2
    try:
        while pending or running:
            if time.monotonic() - window_at > 5.0:  # the cluster may grow or shrink
                cpus = ray.cluster_resources().get("CPU", 1.0)
                window, window_at = max(2, 2 * int(cpus)), time.monotonic()
            while pending and len(running) < window:
                clip = pending.pop()
                try:
                    # Probed here (first frame only) for how many CPUs the clip needs, exactly as
                    # analyze_video decides; a clip that cannot be read ends here, with the same message.
                    info = probe(clip.path)
                    data = clip.path.read_bytes()
                except SquatCheckError as exc:
                    finish(clip, row_for(clip, ERROR, error=str(exc)))
                    continue
                except OSError as exc:
                    finish(clip, row_for(clip, ERROR, error=f"Could not read {display_name(clip.path)}: "
                                                            f"{_one_line(exc.strerror or exc)}."))
                    continue
                workers = min(pose_workers(opts.clip_workers, info.duration_s), max_workers)
                ref = task.options(name=f"squatcheck {clip.name}", num_cpus=workers).remote(
                    clip.name, str(clip.path), data, opts.analysis.replace(workers=workers), outputs, model_ref)
                running[ref] = clip
            if not running:
                continue
            done, _ = ray.wait(list(running), num_returns=1, timeout=WAIT_POLL_S)
            for ref in done:
                clip = running.pop(ref)
                try:
                    out = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    finish(clip, row_for(clip, ERROR, error=_ray_failure(ray, exc, clip)))
                    continue
                except ConnectionError:
                    running[ref] = clip
                    raise
                if out["status"] == OK:
                    try:
                        _write_outputs(clip, out, opts)
                    except (OSError, SquatCheckError) as exc:
                        finish(clip, row_for(clip, ERROR, error=f"Could not write the outputs of {display_name(clip.path)}: "
                                                                f"{_one_line(getattr(exc, 'strerror', None) or exc)}."))
                        continue
                    doc = {"summary": out["summary"], "view": out["view"]}
                    finish(clip, row_for(clip, OK, doc=doc, seconds=out["seconds"], node=out["node"], pid=out["pid"]))
                else:
                    finish(clip, row_for(clip, ERROR, error=out["error"], seconds=out["seconds"], node=out["node"],
                                         pid=out["pid"]))
    except KeyboardInterrupt:
        for ref in running:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
        raise
    except (ConnectionError, ray.exceptions.RayError) as exc:   # from ray.wait / submitting: the cluster, not a clip
        reason = _first_line(exc)
        for clip in [*running.values(), *pending]:
            clip.row = row_for(clip, ERROR, error=f"Could not analyse {display_name(clip.path)}: the connection to the "
                                                  f"cluster was lost ({reason}). Run again to resume.")
        raise ClusterError(f"lost the Ray cluster ({reason}); {len(running) + len(pending)} clip(s) not analysed. "
                           "Run the same command again to resume.") from exc


def _largest_node(ray, opts: BatchOptions) -> int:
    """CPUs of the largest live node: a task reserving more would wait forever."""
    sizes = [int(n.get("Resources", {}).get("CPU", 0)) for n in ray.nodes() if n.get("Alive")]
    largest = max(sizes, default=0) or opts.clip_workers
    workers = opts.analysis.workers
    if workers is not None and workers > largest:
        raise ClusterError(f"--workers {workers} reserves {workers} CPUs for each clip of 8 s or more, "
                           f"but the largest node of the cluster has {largest}; use --workers {largest} or fewer.")
    return max(1, largest)


def options_from_args(args, analysis: AnalysisOptions | None = None) -> BatchOptions:
    """``BatchOptions`` from the CLI's parsed arguments (``vision.__main__``); ``analysis``: the analysis
    options already built from them (built here when None)."""
    def folder(value):
        return Path(value) if value else None
    return BatchOptions(folder=Path(args.video), cluster=args.cluster, json_dir=folder(args.json),
                        csv_dir=folder(args.csv), video_dir=folder(args.video_out), pdf_dir=folder(args.pdf),
                        summary=folder(args.summary), analysis=analysis or AnalysisOptions.from_cli_args(args),
                        quiet=args.quiet)
