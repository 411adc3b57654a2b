"""The command line: outputs, folder mode, and bad input handled with one clear line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, require_shared_videos

SHORT_CLIP = "front_barbell_highbar_short_01.mp4"


def run_cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "vision", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def assert_clean_error(proc, *words):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    for w in words:
        assert w.lower() in lines[0].lower(), lines[0]


@pytest.mark.parametrize("content", [b"", b"hello, this is not a video\n", bytes(range(256)) * 64])
def test_unreadable_files_exit_2_with_one_line(tmp_path, content):
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(content)
    assert_clean_error(run_cli("analyze", bad), "clip.mp4")


def test_missing_file_and_empty_folder(tmp_path):
    assert_clean_error(run_cli("analyze", tmp_path / "nope.mov"), "does not exist")
    assert_clean_error(run_cli("analyze", tmp_path), "no video files")


def test_missing_model_says_how_to_get_it(tmp_path):
    clip = tmp_path / "x.mp4"
    clip.write_bytes(b"0")
    proc = run_cli("analyze", require_shared_videos() / SHORT_CLIP, "--model", tmp_path / "missing.task")
    assert_clean_error(proc, "missing.task")
    proc = run_cli("analyze", require_shared_videos() / SHORT_CLIP, "--model", "heavy")
    if not (REPO / "models" / "pose_landmarker_heavy.task").exists():
        assert_clean_error(proc, "fetch-models heavy")


def test_truncated_real_clip_is_an_error_or_partial_never_a_traceback(tmp_path):
    src = require_shared_videos() / SHORT_CLIP
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(src.read_bytes()[: src.stat().st_size // 3])
    proc = run_cli("analyze", cut, "--quiet")
    assert proc.returncode in (0, 2) and "Traceback" not in proc.stderr


def test_analyze_writes_json_csv_video_and_summary(tmp_path):
    src = require_shared_videos() / SHORT_CLIP
    out = tmp_path / "out"
    proc = run_cli("analyze", src, "--json", out / "r.json", "--csv", out / "r.csv", "--video", out / "a.mp4")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads((out / "r.json").read_text())
    assert doc["schema_version"] == "1.0" and doc["source"]["file"] == SHORT_CLIP
    assert f"{doc['summary']['rep_count']} rep(s)" in proc.stdout
    assert (out / "r.csv").read_text().count("\n") == 1 + len(doc["reps"])
    import av

    with av.open(str(out / "a.mp4")) as c:
        assert c.streams.video[0].codec_context.name == "h264"


def test_folder_mode_analyses_every_clip_and_reports_failures(tmp_path):
    src = require_shared_videos() / SHORT_CLIP
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / SHORT_CLIP).write_bytes(src.read_bytes())
    (folder / "broken.mov").write_bytes(b"not a video")
    (folder / "notes.txt").write_text("ignored")
    proc = run_cli("analyze", folder, "--json", tmp_path / "json")
    assert proc.returncode == 2          # one clip failed...
    assert (tmp_path / "json" / f"{Path(SHORT_CLIP).stem}.json").is_file()   # ...the other was still done
    assert "broken.mov" in proc.stderr and "Traceback" not in proc.stderr
