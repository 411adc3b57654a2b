"""What callers get from the store: plain frozen dataclasses, never live ORM objects.

:class:`ClientRecord`, :class:`SessionRecord`, :class:`ScreeningRecord` and :class:`UserRecord`,
each with a ``to_dict`` of JSON-able values where a page or an export needs one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.store.media import decode_thumbnail

if TYPE_CHECKING:
    import numpy as np

__all__ = ["ROLES", "ClientRecord", "ScreeningRecord", "SessionRecord", "UserRecord"]


def _valgus_rate(view: str | None, rep_count: int, valgus_reps: int,
                 fppa_mean: float | None, kasr_mean: float | None) -> float | None:
    # Same rule as trainer.session_compare.valgus_measurable, on the stored summary columns.
    if not rep_count or (view or "").lower() == "side":
        return None
    if valgus_reps == 0 and fppa_mean is None and kasr_mean is None:
        return None
    return valgus_reps / rep_count


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


@dataclass(frozen=True)
class ClientRecord:
    id: int
    name: str
    created_at: datetime  # timezone-aware, UTC
    notes: str
    session_count: int = 0
    last_recorded_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": _iso(self.created_at),
            "notes": self.notes,
            "session_count": self.session_count,
            "last_recorded_at": _iso(self.last_recorded_at),
        }


@dataclass(frozen=True)
class SessionRecord:
    id: int
    client_id: int
    recorded_at: datetime  # timezone-aware, UTC
    created_at: datetime  # timezone-aware, UTC (when it was saved)
    notes: str
    view: str | None
    profile: str | None
    rep_count: int
    valgus_reps: int
    shallow_reps: int
    fppa_mean_deg: float | None  # mean over reps of the worse side's FPPA
    fppa_worst_deg: float | None
    depth_mean: float | None
    kasr_mean: float | None
    asymmetry_mean_deg: float | None
    video_path: Path | None  # absolute path of the kept copy, or None
    analysis: dict[str, Any] = field(repr=False)
    # JPEG thumbnail of the worst rep's bottom frame (schema v3), or None
    worst_frame_jpeg: bytes | None = field(default=None, repr=False)

    @property
    def has_worst_frame(self) -> bool:
        return bool(self.worst_frame_jpeg)

    def worst_frame_rgb(self) -> "np.ndarray | None":
        """The stored worst-frame thumbnail decoded to an HxWx3 RGB uint8 array (ready for
        ``render_session_pdf(worst_frame_rgb=...)`` / ``st.image``); None if there is none
        or it cannot be decoded."""
        return decode_thumbnail(self.worst_frame_jpeg)

    @property
    def valgus_rate(self) -> float | None:
        """Share of reps with knee valgus; None with no reps or when the camera view
        could not judge valgus (side view / no frontal metrics)."""
        return _valgus_rate(self.view, self.rep_count, self.valgus_reps, self.fppa_mean_deg,
                            self.kasr_mean)

    def to_dict(self, *, include_analysis: bool = True) -> dict[str, Any]:
        out = {
            "id": self.id,
            "client_id": self.client_id,
            "recorded_at": _iso(self.recorded_at),
            "created_at": _iso(self.created_at),
            "notes": self.notes,
            "view": self.view,
            "profile": self.profile,
            "rep_count": self.rep_count,
            "valgus_reps": self.valgus_reps,
            "shallow_reps": self.shallow_reps,
            "valgus_rate": self.valgus_rate,
            "fppa_mean_deg": self.fppa_mean_deg,
            "fppa_worst_deg": self.fppa_worst_deg,
            "depth_mean": self.depth_mean,
            "kasr_mean": self.kasr_mean,
            "asymmetry_mean_deg": self.asymmetry_mean_deg,
            "video_path": str(self.video_path) if self.video_path else None,
            "has_worst_frame": self.has_worst_frame,
        }
        if include_analysis:
            out["analysis"] = json.loads(json.dumps(self.analysis))
        return out


@dataclass(frozen=True)
class ScreeningRecord:
    """A saved guided screening (schema v7): ``result`` is the dict ``trainer.screening.build_screening`` made."""

    id: int
    client_id: int
    screened_at: datetime  # timezone-aware, UTC
    created_at: datetime  # timezone-aware, UTC (when it was saved)
    retest_on: str | None  # ISO date
    branch: str | None  # the heels-raised branch: ankle, hip_control, no_clear_conclusion, ...
    referral: bool  # pain: see a clinician, no plan
    notes: str
    result: dict[str, Any] = field(repr=False)

    def to_dict(self, *, include_result: bool = True) -> dict[str, Any]:
        out = {"id": self.id, "client_id": self.client_id, "screened_at": _iso(self.screened_at),
               "created_at": _iso(self.created_at), "retest_on": self.retest_on, "branch": self.branch,
               "referral": self.referral, "notes": self.notes}
        if include_result:
            out["result"] = json.loads(json.dumps(self.result))
        return out


ROLES = ("admin", "trainer")


@dataclass(frozen=True)
class UserRecord:
    """An account. ``password_hash`` is an Argon2 hash (``trainer.accounts``), never a password."""

    id: int
    name: str
    role: str
    created_at: datetime
    password_hash: str = field(repr=False)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
