"""Normalising caller-supplied pictures (thumbnails for the store and the PDF, camera-sized frames)."""

from __future__ import annotations

import numpy as np


def as_rgb(image) -> np.ndarray:
    """Grey (H, W), (H, W, 1), RGB or RGBA (H, W, 4) → (H, W, 3); ValueError for anything else."""
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[..., :3]
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError(f"expected an HxWx3 RGB image, got shape {arr.shape}")
    return arr


def letterbox(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """(H, W, 3) → (height, width, 3): scaled to fit (aspect kept, area interpolation), centred on
    black bars, as a camera of that size would deliver a clip of another shape."""
    import cv2

    s = min(width / image.shape[1], height / image.shape[0])
    small = cv2.resize(image, (int(image.shape[1] * s), int(image.shape[0] * s)), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((height, width, 3), np.uint8)
    y0, x0 = (height - small.shape[0]) // 2, (width - small.shape[1]) // 2
    canvas[y0:y0 + small.shape[0], x0:x0 + small.shape[1]] = small
    return canvas
