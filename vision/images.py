"""Normalising caller-supplied pictures (thumbnails for the store and the PDF)."""

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
