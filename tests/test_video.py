"""Tests for vision.video (probing, streaming decode, rotation, AV1, bad inputs) and vision.video_writer (H.264).

Synthetic clips are made with PyAV in ``tmp_path`` at test time (no media is committed). A few tests
use the real clips in ``../shared/videos``; they skip when that folder is missing (fail under CI).
"""

from __future__ import annotations

import os
import threading
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vision import video, video_writer
from vision.errors import VideoReadError, VideoTooLongError
from conftest import shared_clip
from vision.video_writer import H264Writer
from vision.video import (
    SUPPORTED_EXTENSIONS,
    Frame,
    VideoInfo,
    is_supported_extension,
    iter_frames,
    probe,
)

SHARED_VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "videos"
ROT90_CLIP = "side_bodyweight_labeled_correct_rot90_01.mp4"
AV1_CLIP = "side_two_people_correct_vs_wrong_av1_01.webm"
H264_TWIN = "side_two_people_correct_vs_wrong_h264_01.mp4"


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------




def square_frame(i: int, width: int = 160, height: int = 120, size: int = 24) -> np.ndarray:
    """``(height, width, 3)`` uint8: dark background with a white square that moves with ``i``."""
    rgb = np.full((height, width, 3), 32, np.uint8)
    x = (i * 3) % (width - size)
    y = (i * 2) % (height - size)
    rgb[y : y + size, x : x + size] = 255
    return rgb


# Fast settings; libx264 keeps B-frames so decode order != presentation order is exercised.
ENCODER_OPTIONS = {
    "libx264": {"preset": "ultrafast", "bframes": "2"},
    "libx265": {"preset": "ultrafast", "x265-params": "log-level=error"},
    "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8"},
    "libsvtav1": {"preset": "12"},
}


def encode(
    path: Path,
    frames: list[np.ndarray] | None = None,
    *,
    n: int = 64,
    width: int = 160,
    height: int = 120,
    fps: int = 30,
    times: list[float] | None = None,
    codec: str = "libx264",
    fmt: str | None = None,
    rotation_ccw: int | None = None,
    faststart: bool = False,
    gop: int | None = None,
) -> Path:
    """Write a clip with PyAV directly (independent of H264Writer).

    ``times`` (seconds) gives explicit, possibly irregular, presentation times; ``rotation_ccw`` sets
    the display matrix (PyAV's counter-clockwise convention, as read back by ``frame.rotation``).
    """
    if frames is None:
        frames = [square_frame(i, width, height) for i in range(n)]
    height, width = frames[0].shape[:2]
    options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), mode="w", format=fmt, options=options) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        tb = Fraction(1, 15360)  # < 65536 (the MPEG-4 part 2 limit), exact for 30/60 fps
        if path.suffix == ".avi":  # AVI is constant-rate: one tick per frame or it counts empty ticks
            tb = Fraction(1, fps)
        stream.codec_context.time_base = tb
        stream.time_base = tb
        opts = dict(ENCODER_OPTIONS.get(codec, {}))
        if codec == "libx264" and gop is not None:
            opts.update({"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0"})
        stream.options = opts
        if rotation_ccw is not None:
            stream.set_display_rotation(rotation_ccw)
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            t = times[i] if times is not None else i / fps
            frame.pts = int(round(t / tb))
            frame.time_base = tb
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def decode_all(path: Path, **kwargs) -> list[Frame]:
    return list(iter_frames(path, **kwargs))


def decode_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == video._THREAD_NAME and t.is_alive()]


def assert_one_line_help(err: pytest.ExceptionInfo, path: Path) -> None:
    """The user-facing message: one line, names the file, says what to do."""
    msg = str(err.value)
    assert msg and "\n" not in msg and "\r" not in msg, msg
    assert path.name in msg, msg
    assert "try again" in msg.lower(), msg
    assert "Traceback" not in msg and "Errno" not in msg, msg


def rss_bytes() -> int:
    """Current resident set size (Linux /proc; falls back to ru_maxrss elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """64 frames, 160x120, 30 fps, a moving white square; moov at the front."""
    return encode(tmp_path_factory.mktemp("clip") / "square.mp4", faststart=True)


@pytest.fixture(autouse=True)
def no_leaked_threads():
    yield
    deadline = time.monotonic() + 2.0
    while decode_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not decode_threads(), "a decode thread outlived its iterator"


# --------------------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------------------


def test_is_supported_extension():
    for ext in SUPPORTED_EXTENSIONS:
        assert is_supported_extension(f"clip{ext}")
        assert is_supported_extension(f"/a/b/CLIP{ext.upper()}")
    assert not is_supported_extension("notes.txt")
    assert not is_supported_extension("noext")
    assert not is_supported_extension(Path("photo.jpg"))


@pytest.mark.parametrize(
    ("ccw", "cw"), [(0, 0), (-90, 90), (90, 270), (180, 180), (-180, 180), (-89.6, 90), (None, 0)]
)
def test_rotation_cw(ccw, cw):
    assert video._rotation_cw(ccw) == cw


def test_upright_rotates_clockwise_and_is_contiguous():
    a = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    out = video._upright(a, 90)
    assert out.shape == (3, 2, 3) and out.flags["C_CONTIGUOUS"]
    # clockwise: the bottom-left pixel moves to the top-left
    assert (out[0, 0] == a[1, 0]).all() and (out[0, 1] == a[0, 0]).all()
    assert (video._upright(a, 180) == a[::-1, ::-1]).all()
    assert (video._upright(a, 270) == np.rot90(a, 1)).all()
    assert video._upright(a, 0) is a


def test_monotonic_nudges_repeats_forward_by_1ms():
    assert video._monotonic(1.0, None) == 1.0
    assert video._monotonic(1.0, 0.5) == 1.0
    assert video._monotonic(0.5, 0.5) == pytest.approx(0.501)
    assert video._monotonic(0.2, 0.5) == pytest.approx(0.501)


def test_format_duration():
    assert video._format_duration(42.4) == "42 s"
    assert video._format_duration(75.2) == "1 min 15 s"
    assert video._format_duration(7260) == "2 h 1 min"


@given(
    w=st.integers(2, 8000),
    h=st.integers(2, 8000),
    max_side=st.one_of(st.none(), st.integers(16, 4000)),
)
def test_scaled_size_properties(w, h, max_side):
    sw, sh = video._scaled_size(w, h, max_side)
    if max_side is None or max(w, h) <= max_side:
        assert (sw, sh) == (w, h)
        return
    assert sw % 2 == 0 and sh % 2 == 0
    assert max(sw, sh) == max_side - max_side % 2
    assert (sw >= sh) == (w >= h) or w == h
    # aspect kept to within the rounding of the short side to an even number
    assert abs(sw / sh - w / h) <= (w / h) * (2.0 / min(sw, sh)) + 1e-9 or min(sw, sh) == 2


def test_sane_fps_falls_back():
    assert video._sane_fps(Fraction(30000, 1001)) == pytest.approx(29.97, abs=0.01)
    assert video._sane_fps(None, 0, Fraction(90000, 1), 25) == 25.0
    assert video._sane_fps(None, float("nan")) == 30.0


# --------------------------------------------------------------------------------------------------
# probe
# --------------------------------------------------------------------------------------------------


def test_probe_fields(clip):
    info = probe(clip)
    assert isinstance(info, VideoInfo)
    assert (info.width, info.height) == (160, 120)
    assert info.fps == pytest.approx(30.0)
    assert info.frames == 64
    assert info.duration_s == pytest.approx(64 / 30, abs=0.05)
    assert info.rotation == 0
    assert info.codec == "h264"
    assert info.path == str(clip)
    d = info.to_dict()
    assert set(d) == {"fps", "frames", "duration_s", "width", "height", "rotation", "codec"}
    assert d["frames"] == 64 and d["codec"] == "h264"


def test_probe_webm_estimates_frame_count(tmp_path):
    path = encode(tmp_path / "square.webm", codec="libvpx-vp9", n=45)
    info = probe(path)
    assert info.codec == "vp9"
    assert abs(info.frames - 45) <= 2
    assert len(decode_all(path)) == 45


@pytest.mark.parametrize(
    ("codec", "ext", "name"),
    [
        ("libx264", "mov", "h264"),
        ("libx264", "mkv", "h264"),
        ("libx264", "m4v", "h264"),
        ("mpeg4", "avi", "mpeg4"),
        ("libx265", "mp4", "hevc"),
        ("libvpx-vp9", "webm", "vp9"),
        ("libsvtav1", "webm", "av1"),
        ("libsvtav1", "mp4", "av1"),
    ],
)
def test_common_codecs_and_containers(tmp_path, codec, ext, name):
    try:
        av.codec.Codec(codec, "w")
    except av.FFmpegError:  # encoder not in this FFmpeg build: nothing to generate the clip with
        pytest.skip(f"encoder {codec} not available")
    path = encode(tmp_path / f"clip.{ext}", n=20, codec=codec)
    info = probe(path)
    assert info.codec == name
    assert (info.width, info.height) == (160, 120)
    assert abs(info.frames - 20) <= 1
    frames = decode_all(path)
    assert len(frames) == 20
    assert np.abs(frames[7].rgb.astype(int) - square_frame(7).astype(int)).mean() < 10


def test_probe_too_long(clip):
    with pytest.raises(VideoTooLongError) as err:
        probe(clip, max_duration_s=1.0)
    assert isinstance(err.value, VideoReadError)
    assert_one_line_help(err, clip)
    assert "trim" in str(err.value).lower()
    assert probe(clip, max_duration_s=None).frames == 64


# --------------------------------------------------------------------------------------------------
# iter_frames: basics, timestamps, VFR
# --------------------------------------------------------------------------------------------------


def test_iter_frames_count_shape_and_timestamps(clip):
    frames = decode_all(clip)
    assert len(frames) == 64
    assert [f.index for f in frames] == list(range(64))
    ts = [f.t_s for f in frames]
    assert all(b > a for a, b in zip(ts, ts[1:]))
    assert ts[0] == pytest.approx(0.0, abs=1e-6)
    assert ts[-1] == pytest.approx(63 / 30, abs=1e-3)
    for f in frames:
        assert f.rgb.shape == (120, 160, 3) and f.rgb.dtype == np.uint8 and f.rgb.flags["C_CONTIGUOUS"]
    # the content is the clip we wrote (lossy, so compare loosely)
    diff = np.abs(frames[10].rgb.astype(int) - square_frame(10).astype(int)).mean()
    assert diff < 6, diff


def test_synchronous_mode_matches_threaded(clip):
    a = decode_all(clip)
    b = decode_all(clip, prefetch=0)
    assert [f.t_s for f in a] == [f.t_s for f in b]
    assert all(np.array_equal(x.rgb, y.rgb) for x, y in zip(a, b))


def test_variable_frame_rate_timestamps(tmp_path):
    rng = np.random.default_rng(7)
    gaps = rng.choice([1 / 60, 1 / 30, 1 / 15, 0.1], size=40)
    times = np.concatenate([[0.0], np.cumsum(gaps)[:-1]]).tolist()
    path = encode(tmp_path / "vfr.mp4", n=40, times=times)
    got = [f.t_s for f in decode_all(path)]
    assert len(got) == 40
    assert got == pytest.approx(times, abs=1e-3)


def test_repeated_pts_are_nudged_forward(tmp_path):
    """MKV stores ms timestamps; an intra-only stream with repeated pts must come out strictly increasing."""
    path = tmp_path / "dup.mkv"
    pts_ms = [0, 33, 33, 66, 66, 66, 100, 133]
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("mjpeg", rate=30)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuvj420p"
        for i, pts in enumerate(pts_ms):
            frame = av.VideoFrame.from_ndarray(square_frame(i), format="rgb24").reformat(format="yuvj420p")
            frame.pts = i
            frame.time_base = Fraction(1, 30)
            for packet in stream.encode(frame):
                packet.time_base = Fraction(1, 1000)  # exact ms: no rounding through 1/30
                packet.pts = packet.dts = pts
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    got = [f.t_s for f in decode_all(path)]
    assert len(got) == len(pts_ms)
    assert all(b > a for a, b in zip(got, got[1:]))
    assert got == pytest.approx([0, 0.033, 0.034, 0.066, 0.067, 0.068, 0.1, 0.133], abs=1e-6)


# --------------------------------------------------------------------------------------------------
# Rotation
# --------------------------------------------------------------------------------------------------


def upright_portrait() -> np.ndarray:
    """``(160, 120, 3)`` asymmetric upright picture: a white 'head' at the top, red at the left."""
    rgb = np.full((160, 120, 3), 40, np.uint8)
    rgb[8:40, 40:80] = 255  # head at the top
    rgb[60:150, 4:30] = (220, 30, 30)  # red bar on the left
    rgb[140:156, 70:116] = (30, 30, 220)  # blue foot, bottom right
    return rgb


@pytest.mark.parametrize("rotation_ccw", [-90, 90, 180])
def test_rotation_metadata_is_applied(tmp_path, rotation_ccw):
    upright = upright_portrait()
    # A player turns the stored pixels counter-clockwise by rotation_ccw: store the inverse.
    stored = np.ascontiguousarray(np.rot90(upright, k=-rotation_ccw // 90))
    path = encode(tmp_path / f"rot{rotation_ccw}.mp4", [stored] * 8, rotation_ccw=rotation_ccw)

    info = probe(path)
    assert info.rotation == (-rotation_ccw) % 360
    assert (info.width, info.height) == (120, 160)

    frames = decode_all(path)
    assert len(frames) == 8
    got = frames[3].rgb
    assert got.shape == (160, 120, 3) and got.flags["C_CONTIGUOUS"]
    err = np.abs(got.astype(int) - upright.astype(int)).mean()
    wrong = np.abs(np.rot90(got, 2).astype(int) - upright.astype(int)).mean()
    assert err < 6 and wrong > 4 * err, (err, wrong)

    small = next(iter(iter_frames(path, max_side=80)))
    assert small.rgb.shape == (80, 60, 3)


def test_real_rot90_clip_comes_out_portrait():
    path = shared_clip(ROT90_CLIP)
    info = probe(path)
    assert info.rotation == 90
    assert info.height > info.width
    it = iter_frames(path, max_side=320)
    first = next(it)
    it.close()
    assert first.rgb.shape[0] > first.rgb.shape[1]
    assert first.rgb.shape[:2] == (320, 182)  # 480 * 320 / 848 = 181.1 -> nearest even


# --------------------------------------------------------------------------------------------------
# AV1
# --------------------------------------------------------------------------------------------------


def test_av1_webm_matches_h264_twin():
    av1_path, h264_path = shared_clip(AV1_CLIP), shared_clip(H264_TWIN)
    info_av1, info_h264 = probe(av1_path), probe(h264_path)
    assert info_av1.codec == "av1"
    assert (info_av1.width, info_av1.height) == (info_h264.width, info_h264.height)
    assert info_av1.height > info_av1.width

    def frames_and_middle(path: Path, middle_s: float) -> tuple[int, np.ndarray, tuple]:
        count, best, shape = 0, None, None
        for f in iter_frames(path, max_side=320):
            count += 1
            shape = f.rgb.shape
            if best is None or abs(f.t_s - middle_s) < abs(best.t_s - middle_s):
                best = f
        return count, best.rgb, shape

    middle = info_h264.duration_s / 2
    n_av1, mid_av1, shape_av1 = frames_and_middle(av1_path, middle)
    n_h264, mid_h264, shape_h264 = frames_and_middle(h264_path, middle)
    assert abs(n_av1 - n_h264) <= 2
    assert shape_av1 == shape_h264 and shape_av1[0] > shape_av1[1]
    diff = np.abs(mid_av1.astype(int) - mid_h264.astype(int)).mean()
    assert diff < 12, diff


# --------------------------------------------------------------------------------------------------
# Downscale, windows, threads, memory
# --------------------------------------------------------------------------------------------------


def test_max_side_downscale(clip):
    f = next(iter(iter_frames(clip, max_side=80)))
    assert f.rgb.shape == (60, 80, 3) and f.rgb.flags["C_CONTIGUOUS"]
    assert next(iter(iter_frames(clip, max_side=81))).rgb.shape == (60, 80, 3)
    assert next(iter(iter_frames(clip, max_side=1000))).rgb.shape == (120, 160, 3)
    with pytest.raises(ValueError):
        iter_frames(clip, max_side=1)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    """10 s at 30 fps with B-frames and a keyframe every 12 frames, so windows really seek."""
    return encode(tmp_path_factory.mktemp("long") / "long.mp4", n=300, gop=12)


def test_start_end_window_matches_full_decode(long_clip):
    full = decode_all(long_clip)
    assert len(full) == 300
    window = decode_all(long_clip, start_s=5.0, end_s=6.5)
    expected = [f for f in full if 5.0 <= f.t_s < 6.5]
    assert [f.t_s for f in window] == pytest.approx([f.t_s for f in expected], abs=1e-9)
    assert len(window) == 45
    assert [f.index for f in window] == list(range(45))
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(window, expected))


def test_windows_partition_the_clip(long_clip):
    full = [f.t_s for f in decode_all(long_clip)]
    bounds = [0.0, 3.3, 7.05, None]
    parts = []
    for start, end in zip(bounds, bounds[1:]):
        parts += [f.t_s for f in iter_frames(long_clip, start_s=start, end_s=end)]
    assert parts == pytest.approx(full, abs=1e-9)


def test_windows_partition_a_real_rotated_clip():
    path = shared_clip(ROT90_CLIP)
    full = decode_all(path, max_side=160)
    parts = decode_all(path, max_side=160, end_s=1.5) + decode_all(path, max_side=160, start_s=1.5)
    assert [f.t_s for f in parts] == [f.t_s for f in full]
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(parts, full))


def test_window_past_the_end_yields_nothing_quietly(long_clip):
    assert decode_all(long_clip, start_s=20.0) == []
    with pytest.raises(ValueError):
        iter_frames(long_clip, start_s=3.0, end_s=2.0)


def test_early_break_stops_decode_thread(long_clip):
    for i, _ in enumerate(iter_frames(long_clip, prefetch=2)):
        if i == 3:
            break
    assert not decode_threads()


def test_generator_close_stops_decode_thread(long_clip):
    it = iter_frames(long_clip, prefetch=2)
    next(it)
    time.sleep(0.2)  # let the producer fill the queue and block
    assert decode_threads()
    it.close()
    assert not decode_threads()


def test_conversion_errors_reach_consumer_as_video_read_error(clip, monkeypatch):
    """The RGB conversion runs when a frame's picture is first used (frames that are not analysed
    are never converted); a failure there is a VideoReadError with the one-line help."""
    def boom(rgb, rotation_cw):
        raise RuntimeError("swscale exploded")

    monkeypatch.setattr(video, "_upright", boom)
    with pytest.raises(VideoReadError) as err:
        [f.rgb for f in decode_all(clip)]
    assert isinstance(err.value.__cause__, RuntimeError)
    assert_one_line_help(err, clip)


def test_memory_stays_bounded_for_long_clip(tmp_path):
    """600 frames of 640x480 RGB are ~553 MB; streaming must keep only a few frames alive."""
    path = encode(tmp_path / "big.mp4", n=600, width=640, height=480, gop=30)
    frame_bytes = 640 * 480 * 3
    baseline = rss_bytes()
    peak, count = baseline, 0
    for f in iter_frames(path, prefetch=4):
        count += 1
        assert f.rgb.nbytes == frame_bytes
        if count % 10 == 0:
            peak = max(peak, rss_bytes())
    assert count == 600
    growth = peak - baseline
    # A list-accumulating decoder would grow by ~600 frames (553 MB); allow 60 (decoder buffers, queue).
    assert growth < 60 * frame_bytes, f"RSS grew {growth / 1e6:.0f} MB"


# --------------------------------------------------------------------------------------------------
# Bad inputs
# --------------------------------------------------------------------------------------------------


def _missing(tmp_path: Path, clip: Path) -> Path:
    return tmp_path / "nope.mp4"


def _directory(tmp_path: Path, clip: Path) -> Path:
    d = tmp_path / "folder.mp4"
    d.mkdir()
    return d


def _empty(tmp_path: Path, clip: Path) -> Path:
    p = tmp_path / "empty.mp4"
    p.write_bytes(b"")
    return p


def _text(tmp_path: Path, clip: Path) -> Path:
    p = tmp_path / "notes.mp4"
    p.write_text("These are my squat notes, not a video.\n" * 20)
    return p


def _random(tmp_path: Path, clip: Path) -> Path:
    p = tmp_path / "noise.mp4"
    p.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    return p


def _truncated_no_moov(tmp_path: Path, clip: Path) -> Path:
    """Default MP4 layout puts the index (moov) at the end: a cut-off upload has none."""
    src = encode(tmp_path / "moov_at_end.mp4")
    p = tmp_path / "cut_upload.mp4"
    p.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    return p


def _audio_only(tmp_path: Path, clip: Path) -> Path:
    p = tmp_path / "voice.m4a"
    with av.open(str(p), mode="w") as container:
        stream = container.add_stream("aac", rate=16000)
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate = 16000
            frame.pts = i * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return p


BAD_INPUTS = [_missing, _directory, _empty, _text, _random, _truncated_no_moov, _audio_only]


@pytest.mark.parametrize("make_bad", BAD_INPUTS, ids=lambda f: f.__name__.strip("_"))
def test_bad_inputs_raise_helpful_video_read_error(tmp_path, clip, make_bad):
    path = make_bad(tmp_path, clip)
    with pytest.raises(VideoReadError) as err:
        probe(path)
    assert_one_line_help(err, path)
    with pytest.raises(VideoReadError) as err:
        decode_all(path)
    assert_one_line_help(err, path)


def test_messages_are_specific(tmp_path, clip):
    def message(path):
        with pytest.raises(VideoReadError) as err:
            probe(path)
        return str(err.value)

    assert "does not exist" in message(_missing(tmp_path, clip))
    assert "folder" in message(_directory(tmp_path, clip))
    assert "empty" in message(_empty(tmp_path, clip))
    assert "not a video" in message(_text(tmp_path, clip))
    assert "no video track" in message(_audio_only(tmp_path, clip))
    txt = tmp_path / "x.txt"
    txt.write_text("hello")
    assert ".txt is not a supported video type" in message(txt)


def test_truncated_mid_file_yields_frames_before_the_cut(tmp_path, clip, caplog):
    full = decode_all(clip)
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    with caplog.at_level("WARNING", logger="vision.video"):
        frames = decode_all(cut)  # must not raise
    assert 5 <= len(frames) < len(full)
    # everything before the cut is the real picture
    for a, b in zip(frames[:-2], full):
        assert a.t_s == b.t_s and np.array_equal(a.rgb, b.rgb)


class _FlakyContainer:
    """A real input container whose decode() fails with InvalidDataError after ``good`` frames."""

    def __init__(self, real, good: int):
        self._real, self._good = real, good

    def __getattr__(self, name):
        return getattr(self._real, name)

    def decode(self, *args, **kwargs):
        for i, frame in enumerate(self._real.decode(*args, **kwargs)):
            if i == self._good:
                raise av.InvalidDataError(1094995529, "Invalid data found when processing input")
            yield frame


def _flaky_open(monkeypatch, good: int) -> None:
    real_open = video._open_input
    monkeypatch.setattr(video, "_open_input", lambda path: _FlakyContainer(real_open(path), good))


def test_decode_error_mid_stream_stops_cleanly_with_warning(clip, monkeypatch, caplog):
    _flaky_open(monkeypatch, good=10)
    with caplog.at_level("WARNING", logger="vision.video"):
        frames = decode_all(clip)
    assert len(frames) == 10
    assert any("damaged" in r.getMessage() for r in caplog.records)


def test_decode_error_before_any_frame_raises(clip, monkeypatch):
    _flaky_open(monkeypatch, good=0)
    with pytest.raises(VideoReadError) as err:
        decode_all(clip)
    assert_one_line_help(err, clip)
    with pytest.raises(VideoReadError):
        decode_all(clip, prefetch=0)


def test_truncated_real_clip_yields_frames(tmp_path):
    src = shared_clip(ROT90_CLIP)
    data = src.read_bytes()
    cut = tmp_path / "real_cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    try:
        frames = decode_all(cut, max_side=160)
    except VideoReadError as err:  # an index at the end of the file makes a cut copy unreadable
        assert "damaged or incomplete" in str(err)
        return
    assert 0 < len(frames) < probe(src).frames


# --------------------------------------------------------------------------------------------------
# How much of a clip could be read (video_incomplete)
# --------------------------------------------------------------------------------------------------


def test_a_complete_clip_reads_its_whole_declared_duration(clip):
    from vision.analysis import incomplete_read, seconds_read

    info = probe(clip)
    t = [f.t_s for f in decode_all(clip)]
    assert seconds_read(t, info.fps) == pytest.approx(info.duration_s, abs=1e-6)
    assert incomplete_read(t, info.to_dict()) is None


def test_a_truncated_clip_declares_more_than_can_be_read(tmp_path, clip):
    """moov at the front: the metadata still says 64 frames, decoding stops at the cut."""
    from vision.analysis import incomplete_read

    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.5)])
    info = probe(cut)
    assert info.duration_s == pytest.approx(64 / 30)  # what the file says, not what it has
    t = [f.t_s for f in decode_all(cut)]
    assert 0 < len(t) < 64
    read, declared = incomplete_read(t, info.to_dict())
    assert read == pytest.approx(t[-1] + 1 / 30) and declared == pytest.approx(64 / 30)


def test_decode_error_mid_stream_is_an_incomplete_read(clip, monkeypatch):
    from vision.analysis import incomplete_read

    info = probe(clip)
    _flaky_open(monkeypatch, good=10)
    t = [f.t_s for f in decode_all(clip)]
    assert incomplete_read(t, info.to_dict()) == (pytest.approx(10 / 30), pytest.approx(64 / 30))


def test_read_tolerance_and_gaps():
    from vision.analysis import INCOMPLETE_MIN_MISSING_S, incomplete_read, seconds_read

    t = np.arange(300) / 30.0                     # 10 s at 30 fps
    info = {"fps": 30.0, "duration_s": 10.0}
    assert seconds_read(t, 30.0) == pytest.approx(10.0)
    assert incomplete_read(t[:-12], info) is None  # 0.4 s short: within the tolerance
    assert INCOMPLETE_MIN_MISSING_S == 0.5
    assert incomplete_read(t[:-18], info) == (pytest.approx(9.4), 10.0)   # 0.6 s short
    gap = np.concatenate([t[:90], t[150:]])     # 60 frames (2 s) missing in the middle (a damaged stretch)
    assert seconds_read(gap, 30.0) == pytest.approx(8.0)
    assert incomplete_read(gap, info) == (pytest.approx(8.0), 10.0)
    assert incomplete_read(t, {"fps": 30.0, "duration_s": 0.0}) is None   # nothing declared: cannot tell
    assert incomplete_read(t, {"fps": 30.0}) is None
    assert seconds_read([], 30.0) == 0.0


def test_probe_of_a_file_cut_inside_its_first_picture_says_it_ends_early(tmp_path):
    """Index (moov) at the front, data cut before one picture is whole: not "damaged", but "ends early"."""
    src = encode(tmp_path / "full.mp4", n=150, width=320, height=240, faststart=True)
    with av.open(str(src)) as c:
        s = c.streams.video[0]
        needed = s.bit_rate * float(s.duration * s.time_base) / 8
        first_packet_end = next(p.pos + p.size for p in c.demux(s) if p.size)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(src.read_bytes()[: first_packet_end - 10])
    with pytest.raises(VideoReadError) as err:
        probe(cut)
    size_kb = max(1, round(cut.stat().st_size / 1024))
    assert str(err.value) == (
        f"Could not read '{cut}': the file ends early ({size_kb} KB of the {max(1, round(needed / 1024))} KB its "
        "5.0 s of video need), so the copy or upload is incomplete. Copy or upload the whole clip again and try again.")


# --------------------------------------------------------------------------------------------------
# H264Writer
# --------------------------------------------------------------------------------------------------


def read_back(path: Path) -> tuple[av.video.stream.VideoStream, list]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        meta = {
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "profile": stream.codec_context.profile,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "format": container.format.name,
        }
        frames = [(float(f.time), f.to_ndarray(format="rgb24")) for f in container.decode(stream)]
    return meta, frames


@pytest.mark.parametrize(("width", "height"), [(160, 120), (161, 121), (97, 130)])
def test_writer_output_is_browser_h264(tmp_path, width, height):
    out = tmp_path / "annotated.mp4"
    with H264Writer(out, width, height, fps=30) as writer:
        for i in range(30):
            writer.write(square_frame(i, width, height))
    meta, frames = read_back(out)
    assert meta["codec"] == "h264" and meta["pix_fmt"] == "yuv420p"
    assert meta["profile"] in ("High", "Main", "Constrained Baseline")
    assert (meta["width"], meta["height"]) == (width + width % 2, height + height % 2)
    assert "mp4" in meta["format"]
    assert len(frames) == 30
    assert [t for t, _ in frames] == pytest.approx([i / 30 for i in range(30)], abs=1e-3)
    # picture content survives (crop padding away before comparing)
    diff = np.abs(frames[12][1][:height, :width].astype(int) - square_frame(12, width, height).astype(int))
    assert diff.mean() < 6
    # +faststart: the index comes before the media data so browsers can start playing at once
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")
    # nothing else left in the folder (temp file renamed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotated.mp4"]
    # and our own reader agrees
    info = probe(out)
    assert (info.codec, info.frames, info.width, info.height) == ("h264", 30, meta["width"], meta["height"])


def test_writer_colours_survive(tmp_path):
    rgb = np.zeros((64, 96, 3), np.uint8)
    rgb[:, :32] = (230, 20, 20)
    rgb[:, 32:64] = (20, 200, 40)
    rgb[:, 64:] = (30, 40, 220)
    out = tmp_path / "colours.mp4"
    with H264Writer(out, 96, 64, fps=25, crf=18) as writer:
        for _ in range(5):
            writer.write(rgb)
    got = decode_all(out)[2].rgb.astype(int)
    for x0, x1 in [(4, 28), (36, 60), (68, 92)]:
        assert np.abs(got[8:56, x0:x1] - rgb[8:56, x0:x1].astype(int)).mean() < 8


def test_writer_variable_frame_rate(tmp_path):
    times = [0.0, 0.05, 0.07, 0.2, 0.21, 0.5, 0.6]
    out = tmp_path / "vfr_out.mp4"
    with H264Writer(out, 160, 120, fps=30) as writer:
        for i, t in enumerate(times):
            writer.write(square_frame(i), t_s=t)
    assert [f.t_s for f in decode_all(out)] == pytest.approx(times, abs=1e-3)


def test_writer_crash_leaves_no_file(tmp_path):
    out = tmp_path / "crash.mp4"
    with pytest.raises(RuntimeError):
        with H264Writer(out, 160, 120, fps=30) as writer:
            writer.write(square_frame(0))
            # mid-write: only a hidden temp file exists, never the final name
            assert not out.exists()
            raise RuntimeError("pose model crashed")
    assert list(tmp_path.iterdir()) == []


def test_writer_abort_leaves_no_file(tmp_path):
    writer = H264Writer(tmp_path / "given_up.mp4", 160, 120, fps=30)
    writer.write(square_frame(0))
    writer.abort()
    writer.abort()  # idempotent
    writer.close()  # closing after an abort writes nothing either
    assert list(tmp_path.iterdir()) == []


def test_writer_rejects_wrong_frames_and_bad_folder(tmp_path):
    with H264Writer(tmp_path / "x.mp4", 160, 120, fps=30) as writer:
        with pytest.raises(ValueError):
            writer.write(np.zeros((120, 160), np.uint8))
        with pytest.raises(ValueError):
            writer.write(np.zeros((121, 160, 3), np.uint8))
        writer.write(square_frame(0))
    with pytest.raises(video_writer.VideoWriteError) as err:
        H264Writer(tmp_path / "no" / "such" / "dir" / "x.mp4", 160, 120, fps=30)
    assert "\n" not in str(err.value) and "try again" in str(err.value)


def test_frames_not_analysed_are_never_colour_converted(clip, monkeypatch):
    """A frame whose RGB image is never asked for costs its decode only: no YUV→RGB conversion,
    yet its hard-cut thumbnail is there; asking for ``rgb`` converts once and keeps the result."""
    calls = []
    real = av.VideoFrame.to_ndarray

    def counting(self, *args, **kwargs):
        calls.append(kwargs.get("format"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(av.VideoFrame, "to_ndarray", counting)
    frames = list(iter_frames(clip, prefetch=0))
    assert all(f.thumbnail().shape == (24, 24) for f in frames)
    assert "rgb24" not in calls
    first = frames[0].rgb
    assert calls.count("rgb24") == 1 and frames[0].rgb is first


def test_cut_thumbnails_match_the_rgb_picture(clip):
    """Thumbnails come from the luma plane (video range expanded), the same grey levels as the RGB picture's."""
    import cv2

    for f in decode_all(clip)[:10]:
        grey = cv2.resize(cv2.cvtColor(f.rgb, cv2.COLOR_RGB2GRAY), (24, 24), interpolation=cv2.INTER_AREA) / 255.0
        assert np.abs(f.thumbnail() - grey).mean() < 0.03
