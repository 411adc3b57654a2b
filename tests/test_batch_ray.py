"""Batch mode on a real Ray cluster: ``python -m vision analyze FOLDER --cluster ...`` (vision/batch.py).

The module starts one local Ray (``ray.init``, 2 CPUs, no dashboard) in this process and shuts it
down at the end; the batch runs on it in-process (``run_batch`` reuses a running Ray) or from a CLI
subprocess that joins it (``--cluster auto`` with ``RAY_ADDRESS``). One CLI test starts its own
``--cluster local``. Clips: four of the shortest labelled clips (2-3.3 s; front, front, side,
oblique; .mp4 and .mov) plus a corrupt ``bad.mp4``; the reference is the sequential CLI on the same
folder with its default settings. One 20.5 s clip checks the case where the sequential default splits
pose over two processes; one test (in a child process) loses a whole Ray node mid-clip. Whole module:
about 2-3 min on two cores.

Killing a worker: Ray names a worker process ``ray::<task name>`` while it runs a task and
``vision.batch`` names each task ``squatcheck <clip>``, so the test finds the worker analysing a
given clip in /proc (only among this test's own descendants) and SIGKILLs it by pid.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import REPO, shared_clip

try:
    import ray
except ImportError:
    if os.environ.get("CI"):
        raise   # CI installs requirements.txt: a missing Ray is a failure there, never a skip
    pytest.skip("ray is not installed (pip install -r requirements.txt)", allow_module_level=True)

from vision.batch import SUMMARY_COLUMNS, BatchOptions, Clip, reusable_result, run_batch  # noqa: E402
from vision.options import AnalysisOptions  # noqa: E402
from vision.pose import file_sha256, resolve_model  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.videos]

CLIPS = ["45deg_overheadsquat_good_01.mov", "front_barbell_highbar_short_01.mp4",
         "front_bodyweight_night_outdoor_portrait_01.mp4", "side_bodyweight_labeled_correct_rot90_01.mp4"]
LONG_CLIP = "side_dumbbell_gym_portrait_01.mp4"   # 20.5 s: split in two (vision.parallel.PARALLEL_MIN_S)
BAD = "bad.mp4"
CLI_TIMEOUT_S = 300


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "vision", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=CLI_TIMEOUT_S, env=env)


def stderr_lines(proc) -> list[str]:
    return [ln for ln in proc.stderr.splitlines() if ln.strip()]


def read_summary(path: Path) -> dict[str, dict]:
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames) == SUMMARY_COLUMNS
        return {row["file"]: row for row in reader}


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def make_folder(root: Path, names, bad: bool) -> Path:
    root.mkdir(parents=True)
    for name in names:
        shutil.copyfile(shared_clip(name), root / name)
    if bad:
        (root / BAD).write_bytes(random.Random(0).randbytes(20_000))
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return make_folder(tmp_path_factory.mktemp("batch") / "clips", CLIPS, bad=True)


@pytest.fixture(scope="module")
def sequential(folder, tmp_path_factory):
    """The sequential CLI on the same folder: (JSON folder, CSV folder, its stderr line for bad.mp4)."""
    out = tmp_path_factory.mktemp("sequential")
    proc = run_cli("analyze", folder, "--json", out / "json", "--csv", out / "csv", "--quiet")
    assert proc.returncode == 2, proc.stderr           # bad.mp4 failed, the others were analysed
    [line] = [ln for ln in stderr_lines(proc) if BAD in ln]
    assert line.startswith("error: ")
    return out / "json", out / "csv", line.removeprefix("error: ")


@pytest.fixture(scope="module")
def ray_cluster():
    """A real local Ray for this module: 2 CPUs, no dashboard; its GCS address."""
    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "RAY_USAGE_STATS_ENABLED")}
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(address="local", num_cpus=2, include_dashboard=False, object_store_memory=256 * 1024**2,
             logging_level="ERROR", log_to_driver=False)
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def options(folder: Path, out: Path, **kw) -> BatchOptions:
    return BatchOptions(folder=folder, cluster="local", json_dir=out / "json", csv_dir=out / "csv", quiet=True, **kw)


@pytest.fixture(scope="module")
def first_batch(folder, ray_cluster, tmp_path_factory):
    out = tmp_path_factory.mktemp("first")
    code = run_batch(options(folder, out))
    return out, code


def test_batch_gives_the_sequential_answers_and_one_error_row(first_batch, sequential):
    out, code = first_batch
    seq_json, seq_csv, seq_error = sequential
    assert code == 2                                   # one clip failed; the batch still finished
    for name in CLIPS:
        stem = Path(name).stem
        # The JSON holds no timings (they stay in Analysis.timings), so it is compared whole.
        assert load(out / "json" / f"{stem}.json") == load(seq_json / f"{stem}.json"), name
        assert (out / "csv" / f"{stem}.csv").read_text() == (seq_csv / f"{stem}.csv").read_text(), name
    assert not (out / "json" / "bad.json").exists()

    rows = read_summary(out / "json" / "summary.csv")
    assert list(rows) == sorted(CLIPS + [BAD])       # one row per clip, in name order
    for name in CLIPS:
        row, doc = rows[name], load(out / "json" / f"{Path(name).stem}.json")
        assert row["status"] == "ok" and row["error"] == ""
        assert int(row["rep_count"]) == doc["summary"]["rep_count"]
        assert int(row["flagged_reps"]) == doc["summary"]["flagged_reps"]
        assert row["view"] == doc["view"]
        assert float(row["seconds"]) > 0 and row["node"] and int(row["worker_pid"]) > 0
    assert {rows[n]["view"] for n in CLIPS} == {"front", "side", "oblique"}
    bad = rows[BAD]
    assert bad["status"] == "error" and bad["rep_count"] == "" and bad["view"] == ""
    assert bad["error"] == seq_error                   # word for word the sequential CLI's message
    assert BAD in bad["error"] and "\n" not in bad["error"] and "Traceback" not in bad["error"]


def test_rerun_skips_every_finished_clip(first_batch, folder):
    out, _ = first_batch
    before = {p.name: p.stat().st_mtime_ns for p in (out / "json").glob("*.json")}
    first_rows = read_summary(out / "json" / "summary.csv")
    code = run_batch(options(folder, out))
    assert code == 2                                    # bad.mp4 is tried again and fails again
    rows = read_summary(out / "json" / "summary.csv")
    assert {n: rows[n]["status"] for n in CLIPS} == dict.fromkeys(CLIPS, "skipped")
    for name in CLIPS:   # the summary still carries each skipped clip's numbers
        assert [rows[name][k] for k in ("rep_count", "flagged_reps", "view")] == \
            [first_rows[name][k] for k in ("rep_count", "flagged_reps", "view")]
    assert rows[BAD]["status"] == "error" and rows[BAD]["error"] == first_rows[BAD]["error"]
    assert {p.name: p.stat().st_mtime_ns for p in (out / "json").glob("*.json")} == before


def test_resume_keeps_a_json_only_for_the_same_engine_and_settings(first_batch, folder, tmp_path):
    out, _ = first_batch
    sha = file_sha256(resolve_model("full"))
    name = CLIPS[1]
    src = out / "json" / f"{Path(name).stem}.json"

    def verdict(doc: dict | None = None, **kw) -> bool:
        json_dir = tmp_path / "json"
        json_dir.mkdir(exist_ok=True)
        path = json_dir / src.name
        path.write_text(json.dumps(doc) if doc is not None else src.read_text())
        opts = BatchOptions(folder=folder, cluster="local", json_dir=json_dir, analysis=AnalysisOptions(**kw))
        return reusable_result(Clip(folder / name, {"json": path}), opts, sha) is not None

    assert verdict()
    assert not verdict(profile="barbell")
    assert not verdict(mirrored=True)
    assert not verdict(view="front")
    assert not verdict(sex="female")
    assert not verdict(model="lite")
    assert not verdict(doc=load(src) | {"engine": load(src)["engine"] | {"version": "0.0.9"}})
    no_settings = load(src)
    no_settings.pop("settings")                          # written before the settings were recorded
    assert not verdict(doc=no_settings)
    assert not reusable_result(Clip(folder / name, {"json": src}), BatchOptions(folder, "local", out / "json"),
                               "0" * 64)                # another model file under the same name


def _ancestors(pid: int) -> set[int]:
    seen = set()
    while pid > 1 and pid not in seen:
        seen.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return seen


def _workers_running(name: str) -> list[int]:
    """Pids of this test's Ray workers now analysing clip ``name`` (their title is ``ray::squatcheck NAME``)."""
    me, pids = os.getpid(), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if title == f"ray::squatcheck {name}" and me in _ancestors(int(entry.name)):
            pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds Ray's workers through /proc (Linux)")
def test_a_killed_worker_is_retried_and_one_killed_twice_is_an_error_row(ray_cluster, sequential, tmp_path):
    seq_json = sequential[0]
    folder = make_folder(tmp_path / "clips", CLIPS, bad=False)
    once, twice = CLIPS[1], CLIPS[2]     # killed mid-analysis once (retried), and again on its retry
    kills: dict[str, list[int]] = {once: [], twice: []}
    stop = threading.Event()

    def killer():
        while not stop.is_set():
            for name, budget in ((once, 1), (twice, 2)):
                for pid in _workers_running(name):
                    if len(kills[name]) < budget and pid not in kills[name]:
                        time.sleep(0.3)             # let it get into the analysis
                        os.kill(pid, signal.SIGKILL)
                        kills[name].append(pid)
            time.sleep(0.05)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        code = run_batch(options(folder, tmp_path / "out"))
    finally:
        stop.set()
        thread.join(timeout=10)
    assert len(kills[once]) == 1 and len(kills[twice]) == 2, kills
    rows = read_summary(tmp_path / "out" / "json" / "summary.csv")
    assert list(rows) == sorted(CLIPS)                   # every clip done, none left behind
    assert code == 2                                      # the twice-killed clip is an error
    for name in CLIPS:
        if name == twice:
            continue
        assert rows[name]["status"] == "ok", rows[name]
        assert load(tmp_path / "out" / "json" / f"{Path(name).stem}.json") == \
            load(seq_json / f"{Path(name).stem}.json"), name
    assert int(rows[once]["worker_pid"]) not in kills[once]   # finished by the retry, on another worker
    err = rows[twice]
    assert err["status"] == "error" and "died" in err["error"] and "retry" in err["error"], err
    assert twice in err["error"] and "\n" not in err["error"]
    assert not (tmp_path / "out" / "json" / f"{Path(twice).stem}.json").exists()


def test_a_long_clip_gets_the_sequential_default_split(ray_cluster, tmp_path):
    """A clip long enough to split: the sequential default splits pose over up to 2 threads; the
    batch gives that clip's task as many CPUs and threads, so the JSON is again the sequential one."""
    folder = make_folder(tmp_path / "clips", [LONG_CLIP], bad=False)
    proc = run_cli("analyze", folder, "--json", tmp_path / "seq", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert run_batch(BatchOptions(folder=folder, cluster="local", json_dir=tmp_path / "out", quiet=True)) == 0
    stem = Path(LONG_CLIP).stem
    seq, par = load(tmp_path / "seq" / f"{stem}.json"), load(tmp_path / "out" / f"{stem}.json")
    assert par == seq
    assert par["settings"]["workers"] == min(os.cpu_count() or 1, 2)


# Run in a child process (this module's Ray stays untouched): a cluster of three Ray nodes on this
# machine (ray.cluster_utils: a head with no CPUs, two nodes of one CPU each); when a worker starts on
# the clip named in argv[3], the node it runs on is removed at once (its raylet and workers killed).
NODE_LOSS_SCRIPT = r"""
import json, os, sys, threading, time
from pathlib import Path
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
import ray
from ray.cluster_utils import Cluster
from vision.batch import BatchOptions, run_batch

folder, out, target = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
nodes = [cluster.add_node(num_cpus=1) for _ in range(2)]
ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
cluster.wait_for_nodes()
removed = []

def parent(pid):
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])

def remove_the_node_running_target():
    while not removed:
        for entry in Path("/proc").iterdir():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                if entry.name.isdigit() and title == f"ray::squatcheck {target}":
                    raylet = parent(int(entry.name))
                    node = next(n for n in nodes if n.all_processes["raylet"][0].process.pid == raylet)
                    time.sleep(0.3)
                    cluster.remove_node(node, allow_graceful=False)
                    removed.append(int(entry.name))
                    return
            except (OSError, StopIteration, ValueError):
                continue
        time.sleep(0.05)

threading.Thread(target=remove_the_node_running_target, daemon=True).start()
code = run_batch(BatchOptions(folder=folder, cluster="local", json_dir=out, quiet=True))
print(json.dumps({"code": code, "removed_worker": removed}))
ray.shutdown()
cluster.shutdown()
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds Ray's workers through /proc (Linux)")
def test_a_lost_node_is_retried_on_another(sequential, tmp_path):
    seq_json = sequential[0]
    names = CLIPS[1:3]
    folder = make_folder(tmp_path / "clips", names, bad=False)
    proc = subprocess.run([sys.executable, "-c", NODE_LOSS_SCRIPT, folder, tmp_path / "out", names[0]], cwd=REPO,
                          capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["code"] == 0 and len(report["removed_worker"]) == 1, report
    rows = read_summary(tmp_path / "out" / "summary.csv")
    assert {n: rows[n]["status"] for n in names} == dict.fromkeys(names, "ok")
    assert int(rows[names[0]]["worker_pid"]) != report["removed_worker"][0]   # redone on the other node
    for name in names:
        stem = Path(name).stem
        assert load(tmp_path / "out" / f"{stem}.json") == load(seq_json / f"{stem}.json"), name


def test_cli_joins_a_running_cluster_with_auto(ray_cluster, folder, sequential, tmp_path):
    seq_json, _, seq_error = sequential
    small = make_folder(tmp_path / "clips", CLIPS[1:2], bad=True)
    env = os.environ | {"RAY_ADDRESS": ray_cluster}   # RAY_AUTH_MODE=token is set by the fixture's ray.init
    proc = run_cli("analyze", small, "--cluster", "auto", "--json", tmp_path / "json",
                   "--summary", tmp_path / "sum.csv", "--pdf", tmp_path / "pdf", env=env)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    [line] = stderr_lines(proc)                       # the bad clip, and nothing from Ray
    assert line == "error: " + seq_error.replace(str(folder), str(small))
    assert "2 clip(s): 1 ok, 0 skipped, 1 error" in proc.stdout
    rows = read_summary(tmp_path / "sum.csv")
    assert [rows[n]["status"] for n in sorted(rows)] == ["error", "ok"]
    stem = Path(CLIPS[1]).stem
    assert load(tmp_path / "json" / f"{stem}.json") == load(seq_json / f"{stem}.json")
    assert not (tmp_path / "json" / "summary.csv").exists()   # --summary put it elsewhere
    import pypdf   # the report, drawn by the command line from the task's result and worst frame

    report = pypdf.PdfReader(tmp_path / "pdf" / f"{stem}.pdf")
    text = "".join(page.extract_text() for page in report.pages)
    assert "not a diagnosis" in text.lower() and len(report.pages) >= 1
    assert any(len(page.images) for page in report.pages), "the worst rep's picture is missing"


def test_client_option_saves_every_analysed_clip_as_a_session(ray_cluster, sequential, tmp_path):
    from trainer.store import Store

    seq_json, _, _ = sequential
    small = make_folder(tmp_path / "clips", CLIPS[1:3], bad=True)
    db = f"sqlite:///{tmp_path / 'gym.db'}"
    env = os.environ | {"RAY_ADDRESS": ray_cluster}
    args = ("analyze", small, "--cluster", "auto", "--json", tmp_path / "json", "--client", "Team  A", "--db", db)
    first = run_cli(*args, env=env)
    assert first.returncode == 2, first.stderr                      # the bad clip: an error row, not a session
    with Store.open(db) as store:
        (client,) = store.list_clients()
        sessions = store.list_sessions(client.id)
    assert client.name == "Team A"
    assert sorted(x.notes for x in sessions) == sorted(f"Batch analysis of {name}" for name in CLIPS[1:3])
    for rec in sessions:
        stem = rec.notes.removeprefix("Batch analysis of ").rsplit(".", 1)[0]
        assert rec.analysis == load(seq_json / f"{stem}.json")     # what the trainer sees = the sequential answer
        assert rec.has_worst_frame == bool(rec.analysis["reps"])
    rerun = run_cli(*args, env=env)                                  # all skipped: nothing saved twice
    assert "2 skipped" in rerun.stdout, rerun.stdout
    with Store.open(db) as store:
        assert len(store.list_sessions(client.id)) == 2


def test_cli_local_cluster_end_to_end(sequential, tmp_path):
    seq_json = sequential[0]
    folder = make_folder(tmp_path / "clips", CLIPS[1:2], bad=False)
    proc = run_cli("analyze", folder, "--cluster", "local", "--json", tmp_path / "json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and stderr_lines(proc) == [], proc.stderr
    rows = read_summary(tmp_path / "json" / "summary.csv")
    assert rows[CLIPS[1]]["status"] == "ok"
    stem = Path(CLIPS[1]).stem
    assert load(tmp_path / "json" / f"{stem}.json") == load(seq_json / f"{stem}.json")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("address", ["ray://127.0.0.1:{port}", "127.0.0.1:{port}", "not an address"])
def test_unreachable_or_malformed_cluster_is_one_line_exit_2(tmp_path, address):
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / BAD).write_bytes(b"needs work, so the cluster is contacted")
    proc = run_cli("analyze", folder, "--cluster", address.format(port=_closed_port()), "--json", tmp_path / "j")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    [line] = stderr_lines(proc)
    assert line.startswith("error: ") and ("cannot reach" in line or "not an address" in line), line
    assert not (tmp_path / "j").exists()               # nothing written when the cluster was never reached


@pytest.mark.parametrize("host", ["refuses", "drops packets"])
@pytest.mark.parametrize("address", ["ray://127.0.0.1:{port}", "127.0.0.1:{port}"])
def test_an_unreachable_cluster_is_refused_before_ray_tries_to_connect(monkeypatch, address, host):
    """Why the error above comes in seconds (this used to be a stopwatch, "< 60 s"): the address gets
    one TCP connect bounded by CONNECT_CHECK_TIMEOUT_S, and ray.init, whose own retry loop takes
    about 30 s, is never called. A host that drops packets is simulated: its connect times out."""
    from types import SimpleNamespace

    from vision import batch

    port = _closed_port()
    connects = []

    def create_connection(addr, timeout=None, *args, **kwargs):
        connects.append((addr, timeout))
        if host == "drops packets":
            raise TimeoutError("timed out")
        return real_create_connection(addr, timeout, *args, **kwargs)

    def init(*args, **kwargs):
        raise AssertionError("ray.init was called for an unreachable cluster")

    real_create_connection = socket.create_connection
    monkeypatch.setattr(batch, "_import_ray", lambda: SimpleNamespace(is_initialized=lambda: False, init=init))
    monkeypatch.setattr(batch.socket, "create_connection", create_connection)
    with pytest.raises(batch.ClusterError, match="cannot reach the Ray cluster"):
        batch.connect(address.format(port=port))
    assert connects == [(("127.0.0.1", port), batch.CONNECT_CHECK_TIMEOUT_S)]
    assert batch.CONNECT_CHECK_TIMEOUT_S <= 10


@pytest.mark.parametrize("extra, words", [(["--summary", "s.csv"], "--summary goes with --cluster"),
                                          (["--cluster", "local"], "--json")])
def test_batch_usage_errors_are_one_line(tmp_path, extra, words):
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / BAD).write_bytes(b"x")
    proc = run_cli("analyze", folder, *extra)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    [line] = stderr_lines(proc)
    assert words in line, line


def test_cluster_wants_a_folder(tmp_path):
    clip = tmp_path / BAD
    clip.write_bytes(b"x")
    proc = run_cli("analyze", clip, "--cluster", "local", "--json", tmp_path / "j")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    [line] = stderr_lines(proc)
    assert "folder" in line, line
