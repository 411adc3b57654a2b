"""The live analyser on a real clip played as a camera: the same rep count as the file pipeline."""

import pytest

from conftest import require_shared_videos

pytestmark = pytest.mark.videos


def camera_frames(path, size=(640, 480)):
    """The clip as a 640x480 camera delivers it over WebRTC: letterboxed, through yuv420p."""
    import av
    import cv2

    from vision.images import letterbox

    cap = cv2.VideoCapture(str(path))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        canvas = letterbox(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), *size)
        yuv = av.VideoFrame.from_ndarray(canvas, format="rgb24").reformat(format="yuv420p")
        frames.append(yuv.to_ndarray(format="rgb24"))
    cap.release()
    return frames, fps


def test_quick_reps_with_brief_stands_count_live_as_in_the_file():
    """Five quick reps whose stands between them are short and not quite full: the live count saw
    only four while its depth came from the One-Euro-smoothed skeleton (smoothing is strongest
    where the body is still, the moment of the stand). The live depth now uses the landmarks
    before that smoothing, as the file pipeline's own filter does."""
    from vision.analysis import analyze_video
    from vision.live import LiveAnalyzer
    from vision.pose import PoseEstimator

    clip = require_shared_videos() / "front_bodyweight_good_office_01.mp4"
    frames, fps = camera_frames(clip)
    with PoseEstimator("full") as estimator:
        live = LiveAnalyzer(estimator)
        for i, rgb in enumerate(frames):
            live.process(rgb, i / fps)
        live.flush()
    file_count = analyze_video(clip).result["summary"]["rep_count"]
    assert live.state.rep_count == file_count == 5
