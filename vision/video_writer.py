"""Video output: write RGB frames to a browser-playable H.264 MP4 (:class:`H264Writer`).

The reader (probe, frames) is :mod:`vision.video`; this module only writes. Errors are raised as
:class:`VideoWriteError` with one plain-language line instead of a raw ``av``/``OSError``.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from vision.errors import SquatCheckError
from vision.video import _short_reason
from vision.video import display_name as _name

__all__ = ["H264Writer", "VideoWriteError"]

log = logging.getLogger(__name__)

_X264_PRESET = "veryfast"  # 2-core target machine: medium is ~2x slower for a small size gain


class VideoWriteError(SquatCheckError):
    """The annotated output video could not be written (disk full, no permission, bad frame size)."""


def _pad_to_even(rgb: np.ndarray) -> np.ndarray:
    """``(H, W, 3)`` -> ``(H + H%2, W + W%2, 3)`` by repeating the last row/column (yuv420p needs even)."""
    pad_h, pad_w = rgb.shape[0] % 2, rgb.shape[1] % 2
    if pad_h or pad_w:
        rgb = np.pad(rgb, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    return rgb


class H264Writer:
    """Write RGB frames to an MP4 (H.264 High, yuv420p, BT.709, +faststart) that browsers play.

    The file is written to a hidden temp file beside ``path`` and renamed on :meth:`close`, so a
    crash never leaves a half-written MP4 under the final name. Used as a context manager, an
    exception inside the ``with`` block discards the temp file.

    Odd ``width``/``height`` are padded by one pixel (edge-replicated) to even.
    If ``write`` gets ``t_s`` the frame is stamped with it (variable frame rate), otherwise with
    ``frame_counter / fps``.
    """

    _TIME_BASE = Fraction(1, 90000)  # MPEG tick: fine enough for any real frame timing

    def __init__(self, path: str | os.PathLike, width: int, height: int, fps: float, crf: int = 23):
        if width < 1 or height < 1:
            raise ValueError(f"width and height must be positive, got {width}x{height}")
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be > 0, got {fps}")
        if not 0 <= crf <= 51:
            raise ValueError(f"crf must be in 0..51, got {crf}")
        self.path = Path(path)
        self.width, self.height = int(width), int(height)
        self.fps = float(fps)
        self._frames_written = 0
        self._last_pts: int | None = None
        self._closed = False
        self._container = None
        self._tmp: Path | None = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent or ".")
            os.close(fd)
            self._tmp = Path(tmp)
            # format="mp4": the temp name's .tmp suffix would not tell FFmpeg which muxer to use
            self._container = av.open(str(self._tmp), mode="w", format="mp4", options={"movflags": "+faststart"})
            stream = self._container.add_stream("libx264", rate=Fraction(self.fps).limit_denominator(1001))
            stream.width = self.width + self.width % 2
            stream.height = self.height + self.height % 2
            stream.pix_fmt = "yuv420p"
            stream.time_base = self._TIME_BASE
            stream.codec_context.time_base = self._TIME_BASE
            # Tag BT.709 limited range to match the conversion in write(): players then show true colours.
            stream.codec_context.colorspace = 1  # AVCOL_SPC_BT709
            stream.codec_context.color_primaries = 1  # AVCOL_PRI_BT709
            stream.codec_context.color_trc = 1  # AVCOL_TRC_BT709
            stream.codec_context.color_range = 1  # AVCOL_RANGE_MPEG
            stream.options = {"crf": str(int(crf)), "preset": _X264_PRESET, "profile": "high"}
            self._stream = stream
        except (av.FFmpegError, OSError, ValueError) as exc:
            self._abort()
            raise VideoWriteError(
                f"Could not create {_name(path)}: {_short_reason(exc)}. "
                "Check the folder exists, is writable and has free space, then try again."
            ) from exc

    def __del__(self) -> None:
        # Never closed (caller forgot, or crashed without `with`): drop the temp file, keep no final file.
        if not getattr(self, "_closed", True):
            self._abort()

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._abort()

    @property
    def frames_written(self) -> int:
        return self._frames_written

    def _next_pts(self, t_s: float | None) -> int:
        """Frame time in 1/90000 s ticks, strictly increasing (the muxer rejects repeats)."""
        seconds = t_s if t_s is not None else self._frames_written / self.fps
        pts = int(round(seconds / self._TIME_BASE))
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1
        self._last_pts = pts
        return pts

    def write(self, rgb: np.ndarray, t_s: float | None = None) -> None:
        """Encode one ``(height, width, 3)`` uint8 RGB frame, optionally at time ``t_s`` seconds."""
        if self._closed:
            raise ValueError("H264Writer is closed")
        rgb = np.asarray(rgb)
        if rgb.dtype != np.uint8 or rgb.shape != (self.height, self.width, 3):
            raise ValueError(
                f"expected a ({self.height}, {self.width}, 3) uint8 RGB array, got {rgb.shape} {rgb.dtype}"
            )
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(_pad_to_even(rgb)), format="rgb24")
        # Explicit BT.709 matrix so the pixels match the stream's colour tags.
        frame = frame.reformat(format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
        frame.pts = self._next_pts(t_s)
        frame.time_base = self._TIME_BASE
        try:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)
        except (av.FFmpegError, OSError) as exc:
            self._abort()
            raise VideoWriteError(
                f"Could not write video {_name(self.path)}: {_short_reason(exc)}. Free some disk space and try again."
            ) from exc
        self._frames_written += 1

    def close(self) -> None:
        """Flush the encoder, finish the MP4 and move it to its final name. Idempotent."""
        if self._closed:
            return
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            self._container.close()
            self._container = None
            os.replace(self._tmp, self.path)
            self._tmp = None
        except (av.FFmpegError, OSError) as exc:
            self._abort()
            raise VideoWriteError(
                f"Could not finish video {_name(self.path)}: {_short_reason(exc)}. "
                "Free some disk space and try again."
            ) from exc
        finally:
            self._closed = True

    def abort(self) -> None:
        """Give up on this file: nothing appears under ``path``; never raises. Idempotent."""
        self._abort()

    def _abort(self) -> None:
        """Drop everything: close the container and delete the temp file; never raises."""
        self._closed = True
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # noqa: BLE001 - already failing; the temp file is removed anyway
                log.debug("error while aborting writer", exc_info=True)
            self._container = None
        if self._tmp is not None:
            try:
                self._tmp.unlink(missing_ok=True)
            except OSError:
                log.debug("could not remove %s", self._tmp, exc_info=True)
            self._tmp = None
