"""The live analyser (``vision.live``) against the file pipeline, on synthetic squatters replayed
frame by frame: the same reps, the same verdicts, the whole set kept for the result at STOP."""

import json

import numpy as np
import pytest

from synthetic import flexion_profile, front_squat_track
from vision.analysis import AnalysisOptions, analyze_track
from vision.export import to_json
from vision.live import JUDGE_DELAY_S, LiveAnalyzer
from vision.track import PoseFrame

FS = 30.0
T = np.arange(0, 12, 1 / FS)
THREE_REPS = [(1, 2.0, 130), (4, 2.0, 130), (7, 2.0, 130)]


class Replay:
    """A pose estimator that returns a prepared track's frames in order (no MediaPipe)."""

    def __init__(self, track):
        self.track, self.i = track, 0

    def process(self, rgb, t_s):
        tr, i = self.track, self.i
        self.i += 1
        return PoseFrame(tr.xy[i], tr.visibility[i], tr.presence[i], tr.world[i], int(tr.people[i]))


def valgus_on_rep_2():
    kt = np.where((T > 3.5) & (T < 6.5), -0.35, 0.3)
    return front_squat_track(T, flexion_profile(T, THREE_REPS), knee_track=kt, noise_px=1.0)


def run_live(track, **kw):
    live = LiveAnalyzer(Replay(track), AnalysisOptions(**kw))
    blank = np.zeros((track.height, track.width, 3), np.uint8)
    counts = []
    for t in track.t:
        counts.append(live.process(blank, float(t)).rep_count)
    return live, np.array(counts)


def test_live_reps_match_the_file_pipeline_on_the_same_landmarks():
    track = valgus_on_rep_2()
    live, _ = run_live(track)
    live.flush()
    offline = analyze_track(track).result
    assert live.state.rep_count == offline["summary"]["rep_count"] == 3
    assert ["knee_valgus" in r["flags"] for r in live.state.reps] == [False, True, False]
    assert [r["flags"] for r in live.state.reps] == [r["flags"] for r in offline["reps"]]
    for a, b in zip(live.state.reps, offline["reps"]):
        assert a["index"] == b["index"]
        assert abs(a["bottom_s"] - b["bottom_s"]) < 0.05


def test_a_rep_is_judged_after_its_standing_frames_arrive():
    track = valgus_on_rep_2()
    live, counts = run_live(track)
    first = int(np.argmax(counts >= 1))
    rep = live.state.reps[0]
    assert track.t[first] >= rep["end_s"] + JUDGE_DELAY_S - 0.1
    assert track.t[first] <= rep["end_s"] + JUDGE_DELAY_S + 0.5
    assert list(np.diff(counts)[np.diff(counts) != 0]) == [1, 1, 1]  # counted once each, never twice


def test_stop_right_after_a_rep_flushes_it():
    track = valgus_on_rep_2()
    end = int(np.searchsorted(track.t, 9.1))  # rep 3 ends at 9.0 s: stop before its delay is over
    from dataclasses import replace

    cut = replace(track, t=track.t[:end], xy=track.xy[:end], visibility=track.visibility[:end],
                  presence=track.presence[:end], world=track.world[:end], people=track.people[:end])
    live, counts = run_live(cut)
    assert counts[-1] == 2 and live.pending == 1
    assert live.flush().rep_count == 3
    assert live.flush().rep_count == 3  # idempotent


def test_set_analysis_is_the_file_result_with_live_provenance():
    track = valgus_on_rep_2()
    live, _ = run_live(track)
    analysis = live.analysis(source="live-set-test")
    result = analysis.result
    offline = analyze_track(track).result
    assert result["summary"] == offline["summary"]
    assert [r["flags"] for r in result["reps"]] == [r["flags"] for r in offline["reps"]]
    assert result["source"] == {"file": "live-set-test", "live": True}
    assert result["live"]["rep_count"] == 3
    video = result["video"]
    assert video["frames"] == len(track) and video["width"] == track.width and video["height"] == track.height
    assert video["fps"] == pytest.approx(FS, rel=0.01)
    assert video["duration_s"] == pytest.approx(len(track) / FS, abs=0.05)
    assert analysis.signals is not None and len(analysis.signals.t) == len(track)
    json.loads(to_json(result))  # strict JSON


def test_live_track_is_the_whole_set_even_past_the_rep_buffer():
    t = np.arange(0, 30, 1 / 15)
    reps = [(1 + 3 * k, 2.0, 120) for k in range(9)]
    track = front_squat_track(t, flexion_profile(t, reps), knee_track=0.3, noise_px=1.0)
    live, _ = run_live(track)
    assert len(live.track()) == len(track)
    assert live.flush().rep_count == 9 == analyze_track(track).result["summary"]["rep_count"]
