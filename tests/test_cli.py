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
    if not (REPO / "models" / "pose_landmarker_heavy.task").exists():  # built: test_pose_models checks a missing one
        proc = run_cli("analyze", require_shared_videos() / SHORT_CLIP, "--model", "heavy")
        assert_clean_error(proc, "bash models/build_pose_model.sh heavy")


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


# --- a clip that ends early: analysed as far as it can be read, and said so (video_incomplete) -------

SIX_SECOND_CLIP = "side_bodyweight_fullsquat_01.mp4"   # 6.3 s, index (moov) at the front, like most phone clips
INCOMPLETE_TAIL = ("could be read: the file ends early or is damaged, so the copy or upload may be incomplete.")


def read_extent(path: Path) -> tuple[float, float]:
    """(seconds a plain PyAV decode covers, seconds the file declares), independent of vision.video."""
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        declared = float(s.duration * s.time_base)
        last = None
        try:
            for frame in c.decode(s):
                last = frame.time
        except av.FFmpegError:  # the cut-off last packet
            pass
    return (last + 1 / float(s.average_rate) if last is not None else 0.0), declared


def cut_copy(src: Path, dest: Path, n_bytes: int) -> Path:
    dest.write_bytes(src.read_bytes()[:n_bytes])
    return dest


def test_first_40_kb_of_a_phone_clip_report_video_incomplete(tmp_path):
    cut = cut_copy(require_shared_videos() / SIX_SECOND_CLIP, tmp_path / "cut.mp4", 40 * 1024)
    read, declared = read_extent(cut)
    assert f"{declared:.1f}" == "6.3" and read < 0.9 * declared
    proc = run_cli("analyze", cut, "--json", tmp_path / "r.json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    message = (f"Only {read:.1f} s of 6.3 s {INCOMPLETE_TAIL} Only that part was analysed: copy or upload the "
               "whole clip again for a full check.")
    assert doc["problems"][0] == {"code": "video_incomplete", "message": message}   # first: it explains the rest
    assert doc["video"]["read_s"] == pytest.approx(read, abs=0.01)
    assert doc["video"]["duration_s"] == pytest.approx(declared)
    assert f"  ! video_incomplete: {message}" in proc.stdout.splitlines()


def test_a_complete_clip_has_no_video_incomplete(tmp_path):
    proc = run_cli("analyze", require_shared_videos() / SHORT_CLIP, "--json", tmp_path / "r.json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    assert "video_incomplete" not in {p["code"] for p in doc["problems"]}
    assert doc["video"]["read_s"] == pytest.approx(doc["video"]["duration_s"], abs=0.05)


def test_less_than_a_rep_left_exits_2_with_the_incomplete_line(tmp_path):
    cut = cut_copy(require_shared_videos() / SIX_SECOND_CLIP, tmp_path / "cut.mp4", 24 * 1024)
    read, _ = read_extent(cut)
    assert 0 < read < 0.6   # some frames, but shorter than the shortest countable rep
    proc = run_cli("analyze", cut, "--json", tmp_path / "r.json")
    assert_clean_error(proc)
    assert proc.stderr.strip() == (f"error: Could not analyse '{cut}': only {read:.1f} s of 6.3 s {INCOMPLETE_TAIL} "
                                   "Copy or upload the whole clip again and try again.")
    assert not (tmp_path / "r.json").exists()


def test_cut_inside_the_first_picture_exits_2_saying_the_file_ends_early(tmp_path):
    import av

    src = require_shared_videos() / SIX_SECOND_CLIP
    cut = cut_copy(src, tmp_path / "cut.mp4", 8 * 1024)
    with av.open(str(src)) as c:
        s = c.streams.video[0]
        needed_kb = round(s.bit_rate * float(s.duration * s.time_base) / 8 / 1024)
    proc = run_cli("analyze", cut)
    assert_clean_error(proc)
    assert proc.stderr.strip() == (f"error: Could not read '{cut}': the file ends early (8 KB of the {needed_kb} KB "
                                   "its 6.3 s of video need), so the copy or upload is incomplete. Copy or upload "
                                   "the whole clip again and try again.")


def test_synthetic_truncated_clip_reports_video_incomplete(tmp_path):
    from test_video import encode

    full = encode(tmp_path / "full.mp4", n=180, width=160, height=120, faststart=True)   # 6 s, no person
    cut = cut_copy(full, tmp_path / "half.mp4", full.stat().st_size // 2)
    read, declared = read_extent(cut)
    assert declared == pytest.approx(6.0) and 0.6 < read < 5.0
    proc = run_cli("analyze", cut, "--json", tmp_path / "r.json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    problems = json.loads((tmp_path / "r.json").read_text())["problems"]
    assert [p["code"] for p in problems] == ["video_incomplete", "no_person"]
    assert problems[0]["message"].startswith(f"Only {read:.1f} s of 6.0 s {INCOMPLETE_TAIL}")


# --- output paths that cannot be written: exit 2 with one line, before the analysis -----------------


@pytest.fixture()
def clip_file(tmp_path):
    """Any existing input: the output checks come before the video is even opened."""
    from test_video import encode

    return encode(tmp_path / "clip.mp4", n=30, faststart=True)


def assert_output_error(proc, expected: str):
    assert_clean_error(proc)
    assert proc.stderr.strip() == "error: " + expected
    assert proc.stdout == ""   # nothing was analysed: no summary


def test_json_naming_an_existing_folder_for_one_clip(tmp_path, clip_file):
    out = tmp_path / "results"
    out.mkdir()
    assert_output_error(run_cli("analyze", clip_file, "--json", out),
                        f"--json '{out}' names a folder, but one clip needs a file name: use e.g. --json "
                        f"'{out / 'clip.json'}'.")
    assert list(out.iterdir()) == []


def test_trailing_slash_names_a_folder_too(tmp_path, clip_file):
    out = f"{tmp_path / 'new'}/"
    assert_output_error(run_cli("analyze", clip_file, "--csv", out),
                        f"--csv '{out}' names a folder, but one clip needs a file name: use e.g. --csv "
                        f"'{tmp_path / 'new' / 'clip.csv'}'.")


@pytest.mark.parametrize("option,name", [("--json", "r.json"), ("--csv", "r.csv"), ("--pdf", "a/b/r.pdf"),
                                         ("--video", "a.mp4")])
def test_output_under_a_file_instead_of_a_folder(tmp_path, clip_file, option, name):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a folder")
    out = notes / name
    assert_output_error(run_cli("analyze", clip_file, option, out),
                        f"{option} '{out}' cannot be written: '{notes}' is a file, not a folder. Choose a path in a "
                        "folder you can write to.")


# The CLI in a child process whose operating system refuses to create files in one folder (argv[1]),
# as it does for a folder without write permission: the refusal is made at the boundary, os.open
# (tempfile's and every file creation's), because permission bits do not stop root.
_CLI_WITH_A_REFUSING_FOLDER = """
import errno, os, runpy, sys
refusing, real_open = os.path.abspath(sys.argv.pop(1)), os.open
def refusing_open(path, flags, *args, **kwargs):
    if flags & os.O_CREAT and os.path.dirname(os.path.abspath(path)) == refusing:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
    return real_open(path, flags, *args, **kwargs)
os.open = refusing_open
runpy.run_module("vision", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize("option,name", [("--json", "r.json"), ("--csv", "r.csv")])
def test_output_in_a_read_only_folder(tmp_path, clip_file, option, name):
    ro = tmp_path / "ro"
    ro.mkdir()
    proc = subprocess.run([sys.executable, "-c", _CLI_WITH_A_REFUSING_FOLDER, str(ro), "analyze", str(clip_file),
                           option, str(ro / name)], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert_output_error(proc, f"{option} '{ro / name}' cannot be written: folder '{ro}' is not writable "
                              "(permission denied). Choose a path in a folder you can write to.")
    assert list(ro.iterdir()) == []


def test_output_in_a_folder_that_refuses_files(tmp_path, clip_file, monkeypatch, capsys):
    """The same check in-process, with the folder refusing writes (works as root too)."""
    import vision.export
    from vision.__main__ import main

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(vision.export.tempfile, "mkstemp", refuse)
    out = tmp_path / "ro" / "r.pdf"
    assert main(["analyze", str(clip_file), "--pdf", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == (f"error: --pdf '{out}' cannot be written: folder '{tmp_path}' is not writable "
                                    "(permission denied). Choose a path in a folder you can write to.")
    assert captured.out == ""


def test_video_output_must_not_overwrite_the_input(clip_file):
    before = clip_file.read_bytes()
    assert_output_error(run_cli("analyze", clip_file, "--video", clip_file),
                        f"--video '{clip_file}' is the input video itself: choose another file name so the clip "
                        "is not overwritten.")
    assert clip_file.read_bytes() == before


def test_two_outputs_on_one_path(tmp_path, clip_file):
    out = tmp_path / "out.txt"
    assert_output_error(run_cli("analyze", clip_file, "--json", out, "--csv", out),
                        f"--json and --csv both name '{out}': give each output its own file name.")


def test_folder_input_needs_output_folders_not_files(tmp_path, clip_file):
    taken = tmp_path / "r.json"
    taken.write_text("{}")
    assert_output_error(run_cli("analyze", tmp_path, "--json", taken),
                        f"--json '{taken}' is a file, but with a folder of clips --json names an output folder: "
                        "give a folder name (it is created if needed).")


def test_new_folders_are_created_for_every_output(tmp_path):
    src = require_shared_videos() / SHORT_CLIP
    out = tmp_path / "new" / "deeper"
    proc = run_cli("analyze", src, "--video", out / "a.mp4", "--csv", out / "c" / "r.csv", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert (out / "a.mp4").is_file() and (out / "c" / "r.csv").is_file()


def test_a_write_failing_late_is_one_line_not_a_traceback(tmp_path):
    from vision.errors import OutputPathError
    from vision.export import write_atomic

    folder = tmp_path / "taken"
    folder.mkdir()
    with pytest.raises(OutputPathError) as err:
        write_atomic(folder, "{}")
    assert str(err.value) == (f"Could not write '{folder}': is a directory. Check that the folder exists, is "
                              "writable and has free space, then try again.")
    assert [p.name for p in tmp_path.iterdir()] == ["taken"] and list(folder.iterdir()) == []   # no temp file left
