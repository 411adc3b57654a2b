"""``PoseTrack``: one person's landmarks over a clip, as aligned NumPy arrays.

Coordinates are in **pixels** of the upright frame (x right, y down), not MediaPipe's
normalised units: normalised x and y have different scales on non-square frames, which
would bend every angle. Frames with no person hold NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from vision.landmarks import MIRROR_PERMUTATION, NUM_LANDMARKS


@dataclass(frozen=True)
class PoseFrame:
    """One frame's pose output for the tracked person (arrays for a single time step).

    Attributes:
        xy: (33, 2) float pixel coordinates, NaN when no person was found.
        visibility: (33,) float in [0, 1].
        presence: (33,) float in [0, 1].
        world: (33, 3) float metres, hip-centred (MediaPipe world landmarks; z unreliable).
        people: number of people detected in the frame.
    """

    xy: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world: np.ndarray
    people: int

    @classmethod
    def empty(cls, people: int = 0) -> "PoseFrame":
        nan2 = np.full((NUM_LANDMARKS, 2), np.nan)
        return cls(nan2, np.zeros(NUM_LANDMARKS), np.zeros(NUM_LANDMARKS), np.full((NUM_LANDMARKS, 3), np.nan), people)


@dataclass(frozen=True)
class PoseTrack:
    """A clip's landmark track.

    Attributes:
        t: (T,) seconds, strictly increasing (real timestamps: variable frame rate safe).
        xy: (T, 33, 2) pixel coordinates; NaN where missing.
        visibility: (T, 33) in [0, 1].
        presence: (T, 33) in [0, 1].
        world: (T, 33, 3) metres.
        people: (T,) int, people detected per frame.
        width, height: frame size in pixels (upright).
        cut_score: (T,) mean absolute difference of consecutive frames' small grey thumbnails
            (0–1), used to find hard cuts in edited clips; None when not measured (live, tests).
        pose_scale: pixels of the picture the pose model was given per pixel of (width, height):
            < 1 when pose ran on a downscaled copy (how coarse the landmarks are).
    """

    t: np.ndarray
    xy: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    world: np.ndarray
    people: np.ndarray
    width: int
    height: int
    cut_score: np.ndarray | None = None
    meta: dict = field(default_factory=dict)
    pose_scale: float = 1.0

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @classmethod
    def from_frames(cls, times, frames: list[PoseFrame], width: int, height: int, cut_scores=None) -> "PoseTrack":
        """Stack per-frame outputs (as produced by ``vision.pose``) into aligned arrays."""
        if not frames:
            return cls.empty(width, height)
        return cls(
            t=np.asarray(times, dtype=float),
            xy=np.stack([f.xy for f in frames]).astype(float),
            visibility=np.stack([f.visibility for f in frames]).astype(float),
            presence=np.stack([f.presence for f in frames]).astype(float),
            world=np.stack([f.world for f in frames]).astype(float),
            people=np.asarray([f.people for f in frames], dtype=int),
            width=int(width),
            height=int(height),
            cut_score=None if cut_scores is None else np.asarray(cut_scores, dtype=float),
        )

    @classmethod
    def empty(cls, width: int = 0, height: int = 0) -> "PoseTrack":
        return cls(np.zeros(0), np.zeros((0, NUM_LANDMARKS, 2)), np.zeros((0, NUM_LANDMARKS)),
                   np.zeros((0, NUM_LANDMARKS)), np.zeros((0, NUM_LANDMARKS, 3)), np.zeros(0, int), width, height)

    def mirrored(self) -> "PoseTrack":
        """The track of a horizontally flipped image, relabelled so "left" is the person's left.

        Webcam previews are mirror images: the model then calls the person's right knee "left".
        Flipping x and swapping every left/right pair undoes both effects.
        """
        xy = self.xy[:, MIRROR_PERMUTATION].copy()
        xy[..., 0] = self.width - xy[..., 0]
        world = self.world[:, MIRROR_PERMUTATION].copy()
        world[..., 0] = -world[..., 0]
        return replace(self, xy=xy, world=world, visibility=self.visibility[:, MIRROR_PERMUTATION],
                       presence=self.presence[:, MIRROR_PERMUTATION])

    def save(self, path) -> None:
        extra: dict[str, Any] = {} if self.cut_score is None else {"cut_score": self.cut_score}
        np.savez_compressed(path, t=self.t, xy=self.xy, visibility=self.visibility, presence=self.presence,
                            world=self.world, people=self.people, size=np.array([self.width, self.height]),
                            pose_scale=np.array(self.pose_scale), **extra)

    @classmethod
    def load(cls, path) -> "PoseTrack":
        d = np.load(path)
        w, h = (int(v) for v in d["size"])
        cut = d["cut_score"] if "cut_score" in d.files else None
        scale = float(d["pose_scale"]) if "pose_scale" in d.files else 1.0
        return cls(d["t"], d["xy"], d["visibility"], d["presence"], d["world"], d["people"], w, h, cut,
                   pose_scale=scale)
