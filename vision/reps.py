"""Rep segmentation: a hysteresis state machine on the depth signal, usable frame by frame.

A rep starts when depth rises past ``rep_enter`` (from the last standing frame before it),
has its bottom at the deepest frame, and ends when depth falls back below ``rep_exit``.
Two thresholds instead of one stop jitter near a single line from double counting
(MediaPipe pose_classification); a clip that starts mid-rep waits for the first standing
frame, so a walk-in or a clip that opens at the bottom does not invent a rep.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vision.thresholds import Thresholds



@dataclass(frozen=True)
class RepWindow:
    start: int    # frame index of the last standing frame before the descent
    bottom: int   # deepest frame
    end: int      # first standing frame after the ascent
    peak_depth: float
    opens_at_cut: bool = False  # an edited clip's rep whose descent began in the shot before ``start``


@dataclass
class RepCounter:
    """Streaming rep detector. Feed ``update(i, t, depth)`` per frame; it returns a ``RepWindow``
    when a rep completes and passes the depth/duration checks, else None.

    Rejected candidates are kept in ``rejected`` with the reason (for diagnostics and tests).
    """

    thresholds: Thresholds = field(default_factory=Thresholds)
    state: str = "wait"          # wait (for first standing frame) → up ↔ down
    count: int = 0
    _top_i: int = -1
    _top_t: float = 0.0
    _bottom_i: int = -1
    _bottom_depth: float = -np.inf
    _start_i: int = -1
    _start_t: float = 0.0
    _last_seen_t: float = -np.inf
    _wait_first: tuple | None = None   # (index, time, depth) of the first frame seen while waiting
    _carried: bool = False             # the rep in progress was carried over a cut
    rejected: list = field(default_factory=list)

    def restart(self) -> None:
        """Forget any rep in progress (a hard cut or a lost person): wait for standing again."""
        if self.state == "down":
            self.rejected.append((self._start_i, self._bottom_i, "cut off by a change of shot"))
        self.state, self._wait_first, self._bottom_depth = "wait", None, -np.inf

    def carry_over(self, i: int) -> None:
        """A hard cut inside a rep, to a shot that shows the body at the depth the last one left
        it (an edit between two cameras): the rep goes on, judged on the frames of the new shot
        (``i`` is its first frame); its duration still counts from the descent's start."""
        self._start_i, self._bottom_i, self._bottom_depth, self._carried = i, i, -np.inf, True

    def update(self, i: int, t: float, depth: float) -> RepWindow | None:
        th = self.thresholds
        if depth is None or not np.isfinite(depth):
            if self.state == "down" and t - self._last_seen_t > th.rep_lost_person.value:
                self.rejected.append((self._start_i, i, "person lost mid-rep"))
                self.state = "up"
                self.restart()
            return None
        self._last_seen_t = t
        if self.state == "wait":
            return self._update_wait(i, t, depth)
        if self.state == "up":
            if depth <= th.rep_exit.value:
                self._top_i, self._top_t = i, t
            elif depth >= th.rep_enter.value:
                self.state, self._carried = "down", False
                self._start_i, self._start_t = self._top_i, self._top_t
                self._bottom_i, self._bottom_depth = i, depth
            return None
        # down
        if depth > self._bottom_depth:
            self._bottom_i, self._bottom_depth = i, depth
        if depth > th.rep_exit.value:
            return None
        self.state, self._top_i, self._top_t = "up", i, t
        return self._finish(i, t)

    def _update_wait(self, i: int, t: float, depth: float) -> RepWindow | None:
        """Before the first standing frame. A clip that opens just after the descent began
        (the first depth is small next to the later bottom) still has that rep counted; one
        that opens deep in a rep does not.
        """
        th = self.thresholds
        if self._wait_first is None:
            self._wait_first = (i, t, depth)
            if depth < th.rep_enter.value:
                self.state, self._top_i, self._top_t = "up", i, t
                return None
            self._bottom_i, self._bottom_depth = i, depth
        if depth > self._bottom_depth:
            self._bottom_i, self._bottom_depth = i, depth
        if depth > th.rep_exit.value:
            return None
        first_i, first_t, first_depth = self._wait_first
        self.state, self._top_i, self._top_t = "up", i, t
        if first_depth <= th.rep_opening_fraction.value * self._bottom_depth:
            self._start_i, self._start_t = first_i, first_t
            return self._finish(i, t)
        self.rejected.append((first_i, i, "the clip starts mid-rep"))
        return None

    def _finish(self, i: int, t: float) -> RepWindow | None:
        th = self.thresholds
        duration = t - self._start_t
        rep = RepWindow(self._start_i, self._bottom_i, i, float(self._bottom_depth), self._carried)
        if self._bottom_depth < th.rep_min_depth.value:
            self.rejected.append((rep.start, rep.end, "too shallow"))
        elif duration < th.rep_min_duration.value:
            self.rejected.append((rep.start, rep.end, "too quick"))
        elif duration > th.rep_max_duration.value:
            self.rejected.append((rep.start, rep.end, "too long"))
        else:
            self.count += 1
            return rep
        return None


def segment_reps(t: np.ndarray, depth: np.ndarray, thresholds: Thresholds | None = None,
                 shots: np.ndarray | None = None) -> tuple[list[RepWindow], list]:
    """Run :class:`RepCounter` over a whole clip: (T,), (T,) -> (reps, rejected).

    At each new shot (hard cut) the counter starts over, as if the clip began there, unless the cut
    falls inside a rep and the new shot opens with the body as low as the last one left it: then
    the rep goes on in the new shot (:meth:`RepCounter.carry_over`).
    """
    th = thresholds or Thresholds()
    counter = RepCounter(th)
    reps = []
    for i in range(len(t)):
        if shots is not None and i and shots[i] != shots[i - 1]:
            if counter.state == "down" and _continues(depth, shots, i, th):
                counter.carry_over(i)
            else:
                counter.restart()
        if (rep := counter.update(i, float(t[i]), float(depth[i]))) is not None:
            reps.append(rep)
    return reps, counter.rejected


def _continues(depth: np.ndarray, shots: np.ndarray, i: int, th: Thresholds) -> bool:
    """The last seen depth of the shot ending before frame ``i`` and the first of the shot starting
    there are both lowered and within ``th.rep_cut_continuity`` of each other."""
    before = depth[:i][(shots[:i] == shots[i - 1]) & np.isfinite(depth[:i])]
    after = depth[i:][(shots[i:] == shots[i]) & np.isfinite(depth[i:])]
    if not len(before) or not len(after):
        return False
    a, b = before[-1], after[0]
    return bool(min(a, b) >= th.rep_enter.value and abs(a - b) <= th.rep_cut_continuity.value)
