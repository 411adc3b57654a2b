"""Video input: probe a clip, stream upright RGB frames (the H.264 writer is :mod:`vision.video_writer`).

PyAV is the only decoder: unlike OpenCV's wheel it decodes AV1 (libdav1d) as well as H.264, HEVC and
VP9, exposes real presentation timestamps (variable-frame-rate phone clips) and the display-matrix
rotation that phones use instead of storing portrait pixels.

Rotation convention: PyAV's ``VideoFrame.rotation`` is the display-matrix angle in degrees
*counter-clockwise* (FFmpeg's ``av_display_rotation_get``). A phone clip shot in portrait reports
``-90``: the stored landscape pixels must be turned 90 degrees *clockwise* to stand upright, which is
``np.rot90(rgb, k=-1)``. :attr:`VideoInfo.rotation` reports that clockwise correction (here ``90``).

Every public function raises :class:`~vision.errors.VideoReadError` (or a subclass) with one
plain-language line instead of letting a raw ``av``/``OSError`` escape.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import av
import cv2
import numpy as np

from vision.errors import SquatCheckError, VideoReadError, VideoTooLongError

__all__ = [
    "DEFAULT_MAX_DURATION_S",
    "SUPPORTED_EXTENSIONS",
    "Frame",
    "VideoInfo",
    "display_name",
    "is_supported_extension",
    "iter_frames",
    "probe",
]

log = logging.getLogger(__name__)

SUPPORTED_EXTENSIONS = (".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv")
DEFAULT_MAX_DURATION_S = 20 * 60

_FALLBACK_FPS = 30.0
_MAX_SANE_FPS = 1000.0  # anything above this is a container lying (e.g. a 1/90000 tick rate)
_PTS_NUDGE_S = 0.001  # repeated/garbled pts are pushed forward by this much to stay strictly increasing
_SEEK_PREROLL_S = 1.0  # seek this far before start_s: B-frame delay means a keyframe's pts > its dts
_THREAD_NAME = "vision-video-decode"
_JOIN_TIMEOUT_S = 5.0
_PUT_POLL_S = 0.05  # how often a blocked producer re-checks the stop flag

# Errors that mean "this input cannot be read"; anything else (TypeError, ...) is a bug and propagates.
_READ_FAILURES = (av.FFmpegError, OSError, ValueError, EOFError, UnicodeError, RuntimeError, MemoryError)
_EXPORT_HINT = "Export the clip as MP4 (H.264) and try again."


# --------------------------------------------------------------------------------------------------
# Data types
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` learned about a clip.

    ``width``/``height`` are the *displayed* size (after rotation), i.e. the shape of the frames
    :func:`iter_frames` yields when ``max_side`` is not set: ``rgb.shape == (height, width, 3)``.
    ``rotation`` is the clockwise correction in degrees (0/90/180/270) applied to the stored pixels.
    ``frames`` is estimated as ``round(duration_s * fps)`` when the container has no count (WebM).
    """

    path: str
    width: int
    height: int
    fps: float
    frames: int
    duration_s: float
    rotation: int
    codec: str

    def to_dict(self) -> dict:
        """JSON-friendly summary (no path: it may be a private temp-file name)."""
        return {
            "fps": self.fps,
            "frames": self.frames,
            "duration_s": self.duration_s,
            "width": self.width,
            "height": self.height,
            "rotation": self.rotation,
            "codec": self.codec,
        }


THUMB_SIDE = 24
_FULL_RANGE = 2   # AVCOL_RANGE_JPEG
_PLANAR_YUV = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12"}


class Frame:
    """One decoded, upright frame. The RGB image is converted on first use, so a frame that is
    not analysed costs its decode only (no colour conversion or scaling).

    Attributes
    ----------
    index : int
        0-based position among the frames this :func:`iter_frames` call yields, in decode
        (= presentation) order. With ``start_s == 0`` this is the frame number in the clip.
    t_s : float
        Presentation time in seconds from the stream start, strictly increasing.
    rgb : np.ndarray
        ``(H, W, 3)`` uint8, C-contiguous, RGB, upright (converted on first access, then kept).
    """

    __slots__ = ("index", "t_s", "_rgb", "_av", "_size", "_rotation_cw", "_thumb", "_path")

    def __init__(self, index: int, t_s: float, rgb: np.ndarray | None = None, *, av_frame=None,
                 size: tuple[int, int] | None = None, rotation_cw: int = 0, path: Path | None = None):
        self.index, self.t_s = index, t_s
        self._rgb, self._av, self._size, self._rotation_cw = rgb, av_frame, size, rotation_cw
        self._thumb, self._path = None, path

    @property
    def rgb(self) -> np.ndarray:
        """The upright RGB picture; raises :class:`VideoReadError` if it cannot be converted."""
        if self._rgb is None:
            w, h = self._size
            try:  # one swscale call does both the YUV->RGB conversion and the downscale
                self._rgb = _upright(self._av.to_ndarray(width=w, height=h, format="rgb24"), self._rotation_cw)
            except _READ_FAILURES as exc:
                raise VideoReadError(_unreadable_message(self._path or "the video")) from exc
        return self._rgb

    def thumbnail(self) -> np.ndarray:
        """``(24, 24)`` float grey image in [0, 1] (area-averaged), for hard-cut detection.

        Made straight from the decoded picture's luma plane for every frame alike (converted to
        RGB or not), so consecutive thumbnails always compare like with like; the decode thread
        makes it ahead of time (``prepare``).
        """
        if self._thumb is None:
            self.prepare()
        return self._thumb

    def prepare(self) -> "Frame":
        if self._thumb is None:
            if self._av is not None and self._av.format.name in _PLANAR_YUV:
                plane = self._av.planes[0]
                y = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, :plane.width]
                step = max(1, min(y.shape) // (4 * THUMB_SIDE))   # a strided view: ~100 px, no copy
                grey = cv2.resize(np.ascontiguousarray(y[::step, ::step]), (THUMB_SIDE, THUMB_SIDE),
                                  interpolation=cv2.INTER_AREA).astype(float)
                if not self._av.format.name.startswith("yuvj") and self._av.color_range != _FULL_RANGE:
                    grey = np.clip((grey - 16.0) * (255.0 / 219.0), 0.0, 255.0)  # video range 16–235
            elif self._av is not None:
                grey = self._av.to_ndarray(width=THUMB_SIDE, height=THUMB_SIDE, format="gray", interpolation="AREA")
            else:
                grey = cv2.resize(cv2.cvtColor(self._rgb, cv2.COLOR_RGB2GRAY), (THUMB_SIDE, THUMB_SIDE),
                                  interpolation=cv2.INTER_AREA)
            self._thumb = grey / 255.0
        return self


# --------------------------------------------------------------------------------------------------
# Small pure helpers
# --------------------------------------------------------------------------------------------------


def is_supported_extension(path: str | os.PathLike) -> bool:
    """True if the file name ends in one of :data:`SUPPORTED_EXTENSIONS` (case-insensitive)."""
    return Path(path).suffix.lower() in SUPPORTED_EXTENSIONS


def _name(path: str | os.PathLike) -> str:
    """The path as the user gave it, quoted, on one line (messages must stay single-line)."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return "'" + text.replace("\r", " ").replace("\n", " ") + "'"


display_name = _name  # public: other modules' messages quote paths the same way


def _format_duration(seconds: float) -> str:
    """``75.2`` -> ``'1 min 15 s'``; ``42`` -> ``'42 s'``; ``7200`` -> ``'2 h 0 min'``."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {(s % 3600) // 60} min"


def _sane_fps(*candidates: object) -> float:
    """First candidate that is a plausible frame rate (0 < fps <= 1000), else 30."""
    for c in candidates:
        try:
            fps = float(c)  # Fraction, int, float; None raises TypeError
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if math.isfinite(fps) and 0.0 < fps <= _MAX_SANE_FPS:
            return fps
    return _FALLBACK_FPS


def _rotation_cw(frame_rotation_ccw: float) -> int:
    """PyAV's counter-clockwise display rotation -> clockwise correction in {0, 90, 180, 270}.

    ``-90`` (portrait phone clip) -> ``90``. Odd angles are snapped to the nearest quarter turn.
    """
    quarter_turns = int(round(float(frame_rotation_ccw or 0) / 90.0))
    return (-quarter_turns * 90) % 360


def _upright(rgb: np.ndarray, rotation_cw: int) -> np.ndarray:
    """Rotate ``(H, W, 3)`` pixels clockwise by ``rotation_cw`` degrees; always C-contiguous.

    ``np.rot90`` turns counter-clockwise for positive ``k``, hence the minus sign.
    """
    if rotation_cw % 360:
        rgb = np.rot90(rgb, k=-(rotation_cw // 90))
    return np.ascontiguousarray(rgb)


def _even(n: float) -> int:
    """Round to the nearest even integer >= 2 (yuv420p and most encoders need even sizes)."""
    return max(2, int(round(n / 2.0)) * 2)


def _scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """Stored ``(width, height)`` -> output size so that the longest side is at most ``max_side``.

    Unchanged when ``max_side`` is ``None`` or the clip is already small enough. Otherwise the
    longest side becomes ``max_side`` (rounded down to even) and the other side keeps the aspect
    ratio, rounded to even.
    """
    if max_side is None or max(width, height) <= max_side:
        return width, height
    long_side = max(2, max_side - (max_side % 2))
    scale = long_side / max(width, height)
    if width >= height:
        return long_side, min(long_side, _even(height * scale))
    return min(long_side, _even(width * scale)), long_side


def _monotonic(t_s: float, prev_t_s: float | None) -> float:
    """Keep timestamps strictly increasing: a repeated/garbled pts is nudged 1 ms past the last one."""
    if prev_t_s is not None and t_s <= prev_t_s:
        return prev_t_s + _PTS_NUDGE_S
    return t_s


# --------------------------------------------------------------------------------------------------
# Opening and probing
# --------------------------------------------------------------------------------------------------


def _check_path(path: str | os.PathLike) -> Path:
    """Fail early with a specific message for the cheap-to-detect problems (no decoding)."""
    try:
        p = Path(path)
        if not p.exists():
            raise VideoReadError(
                f"Could not find {_name(path)}: the file does not exist. Check the path and try again."
            )
        if p.is_dir():
            raise VideoReadError(
                f"{_name(path)} is a folder, not a video file. Choose a video file (MP4, MOV, WebM) and try again."
            )
        if p.stat().st_size == 0:
            raise VideoReadError(
                f"Could not read {_name(path)}: the file is empty (0 bytes). "
                "Copy or upload the clip once more and try again."
            )
        with open(p, "rb"):  # permission problems get their own message rather than "not a video"
            pass
    except VideoReadError:
        raise
    except PermissionError as exc:
        raise VideoReadError(
            f"Could not open {_name(path)}: permission denied. Copy the clip somewhere you can read and try again."
        ) from exc
    except (OSError, ValueError) as exc:  # e.g. name too long, NUL byte in path
        raise VideoReadError(
            f"Could not open {_name(path)}: {_short_reason(exc)}. Check the path and try again."
        ) from exc
    return p


def _unreadable_message(path: str | os.PathLike) -> str:
    ext = Path(path).suffix.lower()
    if ext and not is_supported_extension(path):
        what = f"it is not a video file ({ext} is not a supported video type)"
    else:
        what = "it is not a video file, or it is damaged or incomplete"
    return f"Could not read {_name(path)}: {what}. {_EXPORT_HINT}"


def _open_input(path: Path) -> av.container.InputContainer:
    """Open for reading; PyAV/FFmpeg failures become one-line VideoReadErrors."""
    try:
        # metadata_errors="replace": odd tag encodings (old cameras) must not make a clip unreadable
        return av.open(str(path), mode="r", metadata_errors="replace")
    except _READ_FAILURES as exc:
        raise VideoReadError(_unreadable_message(path)) from exc


def _video_stream(container: av.container.InputContainer, path: Path) -> av.video.stream.VideoStream:
    """The first video stream, set up for multi-threaded decoding."""
    if not container.streams.video:
        raise VideoReadError(
            f"Could not read {_name(path)}: it has no video track (audio only?). {_EXPORT_HINT}"
        )
    stream = container.streams.video[0]
    # AUTO = frame + slice threads: the decoder uses both cores while Python does the rest.
    stream.thread_type = "AUTO"
    return stream


def _codec_name(stream: av.video.stream.VideoStream) -> str:
    """Canonical codec id ('h264', 'av1', ...) rather than the decoder name ('libdav1d')."""
    codec = stream.codec_context.codec
    return getattr(codec, "canonical_name", None) or codec.name


def _stream_origin_s(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float:
    """Seconds of the stream's first timestamp; t_s is measured from here so segments agree."""
    if stream.start_time is not None and stream.time_base:
        return float(stream.start_time * stream.time_base)
    if container.start_time is not None:
        return container.start_time / av.time_base
    return 0.0


def _duration_s(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> float | None:
    """Stream duration, else container duration, else None (some raw/streamed files have neither)."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration and container.duration > 0:
        return container.duration / av.time_base
    return None


def _format_size(n_bytes: float) -> str:
    """``8192`` -> ``'8 KB'``; ``3.4e6`` -> ``'3.4 MB'``."""
    if n_bytes < 1000 * 1024:
        return f"{max(1, round(n_bytes / 1024))} KB"
    return f"{n_bytes / 1024 ** 2:.1f} MB"


def _ends_early_message(container, stream, path: Path) -> str | None:
    """For a file none of whose pictures decode: a message when the file is smaller than the video data
    its own index declares (stream bit rate x duration, e.g. from an MP4's sample table): a copy or
    upload that stopped early. None when that cannot be told (no bit rate or duration declared)."""
    duration, rate = _duration_s(container, stream), stream.bit_rate
    try:
        size = path.stat().st_size
    except OSError:
        return None
    if not duration or not rate or size >= rate * duration / 8:
        return None
    return (f"Could not read {_name(path)}: the file ends early ({_format_size(size)} of the "
            f"{_format_size(rate * duration / 8)} its {duration:.1f} s of video need), so the copy or upload is "
            "incomplete. Copy or upload the whole clip again and try again.")


def _first_frame(container: av.container.InputContainer, stream: av.video.stream.VideoStream, path: Path):
    """Decode the first frame, proving the stream is really decodable."""
    try:
        for frame in container.decode(stream):
            return frame
    except _READ_FAILURES as exc:
        raise VideoReadError(
            _ends_early_message(container, stream, path)
            or f"Could not decode {_name(path)}: the video track is damaged or uses an unsupported codec. "
               f"{_EXPORT_HINT}"
        ) from exc
    raise VideoReadError(_ends_early_message(container, stream, path)
                         or f"Could not read {_name(path)}: it contains no video frames. {_EXPORT_HINT}")


def _info_from(path: Path, container, stream, first) -> VideoInfo:
    rotation = _rotation_cw(first.rotation)
    width, height = first.width, first.height
    if rotation in (90, 270):
        width, height = height, width
    duration = _duration_s(container, stream)
    count = int(stream.frames or 0)
    rate_from_count = count / duration if count and duration else None
    fps = _sane_fps(stream.average_rate, stream.guessed_rate, rate_from_count, stream.base_rate)
    if duration is None:
        duration = count / fps if count else 0.0
    if count <= 0:
        count = max(1, int(round(duration * fps)))
    return VideoInfo(
        path=str(path),
        width=int(width),
        height=int(height),
        fps=float(fps),
        frames=count,
        duration_s=float(duration),
        rotation=rotation,
        codec=_codec_name(stream),
    )


def _too_long_message(path: Path, duration_s: float, limit_s: float) -> str:
    return (
        f"{_name(path)} is {_format_duration(duration_s)} long, over the {_format_duration(limit_s)} limit. "
        f"Trim it to just the squat set (e.g. in your phone's video editor, or "
        f"'ffmpeg -ss START -t {int(limit_s)} -i in.mp4 -c copy out.mp4') and try again."
    )


def probe(path: str | os.PathLike, max_duration_s: float | None = DEFAULT_MAX_DURATION_S) -> VideoInfo:
    """Read a clip's metadata and decode its first frame to be sure it is usable.

    Parameters
    ----------
    path : str or PathLike
        The video file.
    max_duration_s : float or None
        Refuse clips longer than this (``None`` = no limit).

    Raises
    ------
    VideoReadError
        Missing file, folder, empty file, not a video, no video track, or no decodable frame.
    VideoTooLongError
        The clip is longer than ``max_duration_s``.
    """
    p = _check_path(path)
    container = _open_input(p)
    try:
        stream = _video_stream(container, p)
        first = _first_frame(container, stream, p)
        info = _info_from(p, container, stream, first)
    except VideoReadError:
        raise
    except _READ_FAILURES as exc:
        raise VideoReadError(_unreadable_message(p)) from exc
    finally:
        _close_quietly(container)
    if max_duration_s is not None and info.duration_s > max_duration_s:
        raise VideoTooLongError(_too_long_message(p, info.duration_s, max_duration_s))
    return info


def _close_quietly(container) -> None:
    try:
        container.close()
    except _READ_FAILURES:  # closing a half-broken file must not mask the real error
        log.debug("error while closing container", exc_info=True)


# --------------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------------


def _seek_near(container, stream, origin_s: float, start_s: float) -> bool:
    """Seek to the keyframe at or before ``start_s - preroll``; False if the file is not seekable."""
    target_s = origin_s + max(0.0, start_s - _SEEK_PREROLL_S)
    try:
        container.seek(int(target_s / stream.time_base), stream=stream, backward=True, any_frame=False)
        return True
    except _READ_FAILURES:
        log.debug("seek failed; decoding from the start", exc_info=True)
        return False


def _decode_frames(
    path: Path,
    max_side: int | None,
    start_s: float,
    end_s: float | None,
) -> Iterator[Frame]:
    """Synchronous decoder: yields upright RGB Frames in ``[start_s, end_s)``.

    Runs in the background thread; the container is opened and closed here so it never crosses
    threads. Corruption after at least one good frame ends the stream with a warning.
    """
    container = _open_input(path)
    try:
        stream = _video_stream(container, path)
        tb = stream.time_base
        origin_s = _stream_origin_s(container, stream)
        fps = _sane_fps(stream.average_rate, stream.guessed_rate)
        if start_s > _SEEK_PREROLL_S and not _seek_near(container, stream, origin_s, start_s):
            _close_quietly(container)  # a failed seek can leave the demuxer mid-file: start over
            container = _open_input(path)
            stream = _video_stream(container, path)

        size: tuple[int, int] | None = None
        rotation_cw = 0
        prev_t: float | None = None
        decoded = 0  # frames that came out of the decoder (good data), yielded or not
        yielded = 0
        frames = container.decode(stream)
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except _READ_FAILURES as exc:
                if decoded == 0:
                    raise VideoReadError(
                        f"Could not decode {_name(path)}: the video track is damaged or uses an "
                        f"unsupported codec. {_EXPORT_HINT}"
                    ) from exc
                log.warning(
                    "%s: video data is damaged after %.2f s (%s); stopping at the last good frame.",
                    path, prev_t or 0.0, exc,
                )
                break
            decoded += 1

            if frame.pts is not None:
                t = float(frame.pts * tb) - origin_s
            else:  # no timestamp at all: assume the nominal rate
                t = (prev_t + 1.0 / fps) if prev_t is not None else 0.0
            t = _monotonic(t, prev_t)
            prev_t = t
            if start_s > 0 and t < start_s:
                continue  # skipped before any colour conversion: cheap
            if end_s is not None and t >= end_s:
                break

            if size is None:  # fixed from the first frame so every yielded array has one shape
                size = _scaled_size(frame.width, frame.height, max_side)
                rotation_cw = _rotation_cw(frame.rotation)
            yield Frame(yielded, t, av_frame=frame, size=size, rotation_cw=rotation_cw, path=path).prepare()
            yielded += 1

        if decoded == 0:
            if start_s > 0:  # a window past the end (the seek found nothing): an empty segment
                log.warning("%s: no frames at or after %.2f s", path, start_s)
                return
            raise VideoReadError(f"Could not read {_name(path)}: it contains no video frames. {_EXPORT_HINT}")
    finally:
        _close_quietly(container)


def _as_read_error(exc: BaseException, path: Path) -> BaseException:
    """Errors from the decode thread, translated for the consumer."""
    if isinstance(exc, (SquatCheckError, KeyboardInterrupt, SystemExit)):
        return exc
    if isinstance(exc, _READ_FAILURES):
        err = VideoReadError(_unreadable_message(path))
    else:  # a bug in the decode path; still one line for the user, with the cause chained
        err = VideoReadError(
            f"Could not read {_name(path)}: unexpected decoder failure ({exc.__class__.__name__}). {_EXPORT_HINT}"
        )
    err.__cause__ = exc
    return err


_FRAME, _END, _ERROR = "frame", "end", "error"


def _put(q: queue.Queue, item: tuple, stop: threading.Event) -> bool:
    """Blocking put that gives up as soon as ``stop`` is set (consumer went away)."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_PUT_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _producer(source: Callable[[], Iterator[Frame]], q: queue.Queue, stop: threading.Event) -> None:
    """Thread body: run the decoder, push frames, then an end or error marker."""
    frames = None
    try:
        frames = source()
        for frame in frames:
            if not _put(q, (_FRAME, frame), stop):
                return
            del frame  # don't pin a frame while blocked on the next decode
        _put(q, (_END, None), stop)
    except BaseException as exc:  # noqa: BLE001 - everything is re-raised in the consumer
        _put(q, (_ERROR, exc), stop)
    finally:
        if frames is not None:
            frames.close()  # closes the container in the thread that opened it


def _drain(q: queue.Queue) -> None:
    """Drop queued frames so their memory goes now and a blocked producer can finish."""
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return


def _threaded(source: Callable[[], Iterator[Frame]], prefetch: int, path: Path) -> Iterator[Frame]:
    """Run ``source`` in a background thread with a bounded queue; stop it when we are closed."""
    q: queue.Queue = queue.Queue(maxsize=prefetch)
    stop = threading.Event()
    thread = threading.Thread(target=_producer, args=(source, q, stop), name=_THREAD_NAME, daemon=True)
    thread.start()
    try:
        while True:
            try:
                kind, payload = q.get(timeout=0.5)
            except queue.Empty:
                if not thread.is_alive() and q.empty():  # defensive: thread died without a marker
                    raise VideoReadError(
                        f"Could not read {_name(path)}: the decoder stopped unexpectedly. {_EXPORT_HINT}"
                    ) from None
                continue
            if kind == _FRAME:
                yield payload
                del payload
            elif kind == _END:
                return
            else:
                raise _as_read_error(payload, path)
    finally:
        stop.set()
        _drain(q)
        thread.join(_JOIN_TIMEOUT_S)
        if thread.is_alive():
            log.warning("%s: decode thread did not stop within %.0f s", path, _JOIN_TIMEOUT_S)


def _synchronous(source: Callable[[], Iterator[Frame]], path: Path) -> Iterator[Frame]:
    """prefetch=0: decode in the caller's thread (debugging, or callers that manage threads)."""
    try:
        yield from source()
    except (SquatCheckError, KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - translated, cause chained
        raise _as_read_error(exc, path) from exc


def iter_frames(
    path: str | os.PathLike,
    *,
    max_side: int | None = None,
    prefetch: int = 4,
    start_s: float = 0.0,
    end_s: float | None = None,
) -> Iterator[Frame]:
    """Stream upright RGB frames, decoded in a background thread.

    Memory stays bounded: at most ``prefetch`` decoded frames wait in the queue.

    Parameters
    ----------
    path : str or PathLike
        The video file. Missing/folder/empty files raise immediately; other read errors are raised
        as :class:`VideoReadError` by the first ``next()``.
    max_side : int or None
        If the longest side exceeds this, scale (aspect kept, even sizes) so it equals ``max_side``.
    prefetch : int
        Queue size between the decode thread and the consumer; ``0`` decodes in the caller's thread.
    start_s, end_s : float
        Yield only frames with ``start_s <= t_s < end_s`` (seeks near ``start_s`` first).

    Yields
    ------
    Frame
        ``rgb`` is ``(H, W, 3)`` uint8, C-contiguous, upright.

    Notes
    -----
    If the data goes bad mid-stream the iterator ends after the last good frame (a warning is
    logged); it only raises when no frame at all could be decoded. Breaking out of the loop (or
    ``close()``) stops and joins the decode thread.
    """
    if max_side is not None and max_side < 2:
        raise ValueError(f"max_side must be >= 2 or None, got {max_side}")
    if prefetch < 0:
        raise ValueError(f"prefetch must be >= 0, got {prefetch}")
    if end_s is not None and end_s <= start_s:
        raise ValueError(f"end_s ({end_s}) must be greater than start_s ({start_s})")
    p = _check_path(path)

    def source() -> Iterator[Frame]:
        return _decode_frames(p, max_side, float(start_s), None if end_s is None else float(end_s))

    if prefetch == 0:
        return _synchronous(source, p)
    return _threaded(source, prefetch, p)


def _short_reason(exc: BaseException) -> str:
    """OS/FFmpeg error text without paths or newlines, e.g. 'No space left on device'."""
    reason = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
    return " ".join(str(reason).split())
