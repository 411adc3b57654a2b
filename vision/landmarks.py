"""BlazePose landmark indices and the skeleton edges used for drawing.

In each left/right pair the first index is the person's LEFT side (MediaPipe convention).
"""

NOSE = 0
L_SHOULDER, R_SHOULDER = 11, 12
L_ELBOW, R_ELBOW = 13, 14
L_WRIST, R_WRIST = 15, 16
L_HIP, R_HIP = 23, 24
L_KNEE, R_KNEE = 25, 26
L_ANKLE, R_ANKLE = 27, 28
L_HEEL, R_HEEL = 29, 30
L_FOOT, R_FOOT = 31, 32  # "foot index": the big-toe region; noisy, check before trusting

NUM_LANDMARKS = 33

# Landmarks that must be seen for a squat to be judged at all (hips to feet).
LOWER_BODY = (L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE)
# Whole-body set used by the "body in frame" check (shoulders to heels).
BODY = (L_SHOULDER, R_SHOULDER, L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE, L_HEEL, R_HEEL)

# Swapping these pairs relabels a mirrored (selfie/webcam) image to the person's real sides.
MIRROR_PERMUTATION = list(range(NUM_LANDMARKS))
for _l, _r in ((1, 4), (2, 5), (3, 6)) + tuple((i, i + 1) for i in range(7, 33, 2)):
    MIRROR_PERMUTATION[_l], MIRROR_PERMUTATION[_r] = _r, _l

SKELETON_EDGES = (
    (L_SHOULDER, R_SHOULDER), (L_HIP, R_HIP),
    (L_SHOULDER, L_HIP), (R_SHOULDER, R_HIP),
    (L_SHOULDER, L_ELBOW), (L_ELBOW, L_WRIST), (R_SHOULDER, R_ELBOW), (R_ELBOW, R_WRIST),
    (L_HIP, L_KNEE), (L_KNEE, L_ANKLE), (R_HIP, R_KNEE), (R_KNEE, R_ANKLE),
    (L_ANKLE, L_HEEL), (L_HEEL, L_FOOT), (L_ANKLE, L_FOOT),
    (R_ANKLE, R_HEEL), (R_HEEL, R_FOOT), (R_ANKLE, R_FOOT),
)
