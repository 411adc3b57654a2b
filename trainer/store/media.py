"""The store's files on disk: the worst-frame JPEG thumbnail, and folders and files only their owner reads.

* A small JPEG thumbnail of the worst rep's bottom frame (schema v3, ``worst_frame_jpeg``, at most
  ~100 KB) can be stored with a session, so a saved session's PDF report has its picture even when the
  video itself was not kept (:func:`encode_thumbnail`, :func:`decode_thumbnail`).
* Owner only: the SQLite file (and its -wal/-shm), the media dir and its client folders are created
  0600 / 0700 whatever the umask (:func:`private_dir`, :func:`private_file`), and an existing file of
  ours readable by others is narrowed.

The kept videos themselves are copied and removed by :class:`trainer.store.api.Store`, which owns
the database rows that point at them.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vision.images import as_rgb
from trainer.store.errors import StoreError

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "THUMBNAIL_MAX_BYTES",
    "THUMBNAIL_MAX_SIDE",
    "decode_thumbnail",
    "encode_thumbnail",
    "private_dir",
    "private_file",
]

log = logging.getLogger(__name__)

THUMBNAIL_MAX_SIDE = 640  # px, long side of the stored worst-frame thumbnail
THUMBNAIL_MAX_BYTES = 100_000  # the JPEG is shrunk until it fits
_THUMBNAIL_QUALITY = 85


def encode_thumbnail(frame_rgb: Any) -> bytes:
    """An RGB image (HxWx3 uint8; grey, RGBA and float 0..1 are accepted too) as JPEG bytes
    for ``sessions.worst_frame_jpeg``: long side at most :data:`THUMBNAIL_MAX_SIDE` px,
    quality ~85, shrunk further until it is at most :data:`THUMBNAIL_MAX_BYTES`.
    Raises :class:`StoreError` if ``frame_rgb`` is not an image."""
    import cv2
    import numpy as np

    try:
        arr = np.asarray(frame_rgb)
    except Exception as err:  # ragged lists and other oddities
        raise StoreError(f"The worst-frame picture is not an image: {err}") from err
    try:
        arr = as_rgb(arr)
    except ValueError:
        raise StoreError(f"The worst-frame picture must be an HxWx3 RGB image, got shape {arr.shape}.") from None
    if arr.dtype != np.uint8:
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
            raise StoreError(f"The worst-frame picture has unusable pixel type {arr.dtype}.")
        arr = np.nan_to_num(arr.astype(np.float64))
        if arr.max(initial=0) <= 1.0:
            arr = arr * 255.0
        arr = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    bgr = cv2.cvtColor(np.ascontiguousarray(arr), cv2.COLOR_RGB2BGR)  # OpenCV wants BGR
    h, w = bgr.shape[:2]
    scale = min(1.0, THUMBNAIL_MAX_SIDE / max(h, w))
    quality = _THUMBNAIL_QUALITY
    for _ in range(40):
        img = bgr
        if scale < 1.0:
            size = (max(2, round(w * scale)), max(2, round(h * scale)))
            img = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            raise StoreError("Could not encode the worst-frame picture as JPEG.")
        data = buf.tobytes()
        if len(data) <= THUMBNAIL_MAX_BYTES:
            return data
        if quality > 60:
            quality -= 10
        else:
            scale *= 0.75
    raise StoreError("Could not make the worst-frame picture small enough to store.")


def decode_thumbnail(data: bytes | None) -> "np.ndarray | None":
    """JPEG bytes from :func:`encode_thumbnail` back to an HxWx3 RGB uint8 array; None for
    no data or undecodable data."""
    if not data:
        return None
    import cv2
    import numpy as np

    bgr = cv2.imdecode(np.frombuffer(bytes(data), dtype=np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        log.warning("stored worst-frame thumbnail could not be decoded")
        return None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) readable by its owner only (0700, whatever the umask);
    narrow an existing folder of ours to 0700. Returns ``path``."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=0o700)
        except FileExistsError:
            pass
        os.chmod(d, 0o700)  # mkdir's mode is filtered by the umask
    _narrow(path, 0o700)
    return path


def private_file(path: Path) -> None:
    """Create ``path`` empty if missing, 0600 (owner only); narrow an existing file of ours to 0600."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    _narrow(path, 0o600)


def _narrow(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` if it is ours and others may read it (a shared folder that is not
    ours, e.g. /tmp, is left alone)."""
    try:
        st_ = os.stat(path)
        if st_.st_uid == os.getuid() and (st_.st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except (OSError, AttributeError):  # AttributeError: no os.getuid (Windows)
        pass


def _open_private(path: Path):
    """A new file for writing, 0600 from its first byte (whatever the umask)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
