"""The analysis options: every setting that can change a result, in one frozen object.

:class:`AnalysisOptions` is built once at each edge (the command line, the app's sidebar, the batch
driver, the live page), validated there (a bad value raises ``ValueError`` naming it and the allowed
ones) and handed down unchanged; it is hashable and picklable, so it travels to Ray tasks and
process pools as it is. :meth:`AnalysisOptions.settings` is ``result["settings"]``, the record
the batch mode compares to decide whether a clip's JSON can be kept.

How pose is extracted (:class:`Extraction`, the pose rates) and the inference frame size live
here too: they are options of a run (``vision.extraction`` uses them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from vision.thresholds import PROFILES, Thresholds, get_profile, single_leg_fppa_norm

INFERENCE_MAX_SIDE = 640   # MediaPipe resizes to 224/256 px crops anyway; see BENCHMARKS.md

VIEWS = ("auto", "front", "side")
SEXES = ("female", "male")   # or None: not given


@dataclass(frozen=True)
class Extraction:
    """How landmarks are extracted from a video.

    ``moving_hz`` / ``idle_hz``: pose rates while the body is lowered or moving / standing still
    (``vision.sampling``); None: pose on every frame. ``FAST`` is the default; ``EVERY_FRAME`` is
    the reference ``bench/accuracy.py --extraction every-frame`` compares against.
    """

    moving_hz: float | None = 15.0
    idle_hz: float | None = 7.5

    @property
    def sample(self) -> bool:
        return self.moving_hz is not None


FAST = Extraction()
EVERY_FRAME = Extraction(moving_hz=None, idle_hz=None)
EXTRACTIONS = {"fast": FAST, "every-frame": EVERY_FRAME}


def _choices(values) -> str:
    return ", ".join(repr(v) for v in values)


@dataclass(frozen=True)
class AnalysisOptions:
    """What an analysis is asked to do.

    Args:
        view: ``auto`` to detect per rep, or force ``front`` / ``side``.
        profile: a key of ``vision.thresholds.PROFILES``.
        mirrored: the frames are a mirror image (selfie camera): relabel left/right.
        sex: ``female`` / ``male`` / None: picks the single-leg FPPA norm (single-leg profile only).
        model: ``lite`` / ``full`` / ``heavy`` or a ``.task`` path (checked when it is loaded:
            a missing model is ``ModelNotFoundError`` with the command that builds it).
        extraction: the pose rates (:data:`FAST` or :data:`EVERY_FRAME`).
        workers: pose threads for a clip of 8 s or more; None: every core, at most two
            (``vision.analysis.pose_workers``).
        max_side: frames are scaled down to this many pixels on their long side before pose.
    """

    view: str = "auto"
    profile: str = "bodyweight"
    mirrored: bool = False
    sex: str | None = None
    model: str = "full"
    extraction: Extraction = FAST
    workers: int | None = None
    max_side: int = INFERENCE_MAX_SIDE

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"Unknown view {self.view!r}. Choose one of: {_choices(VIEWS)}.")
        if self.profile not in PROFILES:
            raise ValueError(f"Unknown profile {self.profile!r}. Choose one of: {_choices(PROFILES)}.")
        if not isinstance(self.mirrored, bool):
            raise ValueError(f"mirrored must be True or False, not {self.mirrored!r}.")
        if self.sex is not None and self.sex not in SEXES:
            raise ValueError(f"Unknown sex {self.sex!r}. Choose one of: {_choices(SEXES)}, or None (not given).")
        if isinstance(self.model, os.PathLike):
            object.__setattr__(self, "model", os.fspath(self.model))
        if not isinstance(self.model, str) or not self.model:
            raise ValueError(f"model must be 'lite', 'full', 'heavy' or a .task file path, not {self.model!r}.")
        if not isinstance(self.extraction, Extraction):
            raise ValueError(f"extraction must be one of {_choices(EXTRACTIONS)} (vision.options.EXTRACTIONS), "
                             f"not {self.extraction!r}.")
        if self.workers is not None and (isinstance(self.workers, bool) or not isinstance(self.workers, int)
                                         or self.workers < 1):
            raise ValueError(f"workers must be a whole number of at least 1, or None (every core, at most two), "
                             f"not {self.workers!r}.")
        if isinstance(self.max_side, bool) or not isinstance(self.max_side, int) or self.max_side < 1:
            raise ValueError(f"max_side must be a whole number of pixels of at least 1, not {self.max_side!r}.")

    @classmethod
    def from_cli_args(cls, args: Any, **overrides: Any) -> AnalysisOptions:
        """The options of a parsed command line (``vision.__main__``); an option the subcommand does not
        have keeps its default. ``overrides`` win (e.g. a screening step's profile)."""
        names = ("view", "profile", "mirrored", "sex", "model", "workers")
        given = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
        return cls(**(given | overrides))

    def replace(self, **changes: Any) -> AnalysisOptions:
        """A copy with ``changes``, validated again."""
        return replace(self, **changes)

    @property
    def forced_view(self) -> str | None:
        """The view every rep is judged as, or None to detect it per rep."""
        return None if self.view == "auto" else self.view

    @property
    def thresholds(self) -> Thresholds:
        return get_profile(self.profile).thresholds

    @property
    def single_leg_fppa_norm(self) -> float:
        """The single-leg FPPA limit, degrees, for ``sex`` (what the single-leg valgus judge decides on)."""
        return single_leg_fppa_norm(self.thresholds, self.sex)

    def settings(self, *, model_sha256: str, workers: int) -> dict:
        """``result["settings"]``: every setting that can change a result.

        Two runs of the same engine version with equal settings give the same result; the batch mode
        (``vision.batch``) compares this to decide whether a clip's existing JSON can be kept, so its
        keys and values stay as they are. ``workers`` is the number of pose segments actually used
        (``vision.analysis.pose_workers``), not the option.
        """
        return {"view": self.view, "profile": self.profile, "model": str(self.model), "model_sha256": model_sha256,
                "mirrored": bool(self.mirrored), "sex": self.sex, "max_side": self.max_side,
                "extraction": {"moving_hz": self.extraction.moving_hz, "idle_hz": self.extraction.idle_hz},
                "workers": int(workers)}
