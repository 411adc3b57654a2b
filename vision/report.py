"""PDF screening report for one analysed video: the worst rep's bottom frame + the session PDF."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from vision.analysis import Analysis


def worst_rep_frame(video_path: str | Path, analysis: Analysis) -> np.ndarray | None:
    """RGB bottom frame (skeleton and angles drawn) of the worst rep, or of rep 1; None without reps."""
    from vision.overlay import bottom_frames

    result = analysis.result
    if not result["reps"]:
        return None
    index = result["summary"].get("worst_rep") or result["reps"][0]["index"]
    return bottom_frames(video_path, analysis).get(index)


def pdf_for_analysis(video_path: str | Path, analysis: Analysis, *, client_name: str | None = None,
                     recorded_at: datetime | None = None, previous: dict | None = None, notes: str = "") -> bytes:
    from vision.report_pdf import render_session_pdf

    return render_session_pdf(analysis.result, client_name=client_name, recorded_at=recorded_at or datetime.now(),
                              previous=previous, worst_frame_rgb=worst_rep_frame(video_path, analysis), notes=notes)
