"""Every threshold the engine judges with, in one place, each with its source.

``[heuristic]`` marks a design choice no study validates; the UI and reports show these
sources. Profiles tune what differs between squat styles; sex-specific FPPA norms are
offered for single-leg work only (no bilateral norms exist, Herrington & Munro 2010).

Constants that stay in their modules say why in one line there: how signals are measured and
filtered (``signals``, ``filters``, ``geometry``), cut detection (``shots``), capture warnings
(``analysis``), extraction and scheduling (``parallel``, ``live``), drawing (``overlay``). The pose
sampling rates (``sampling``) decide which frames the pose model sees, not a verdict; they stay
there because that module's source is part of the track cache's key (``bench/accuracy.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class Threshold:
    value: float
    unit: str
    source: str


@dataclass(frozen=True)
class Thresholds:
    # --- rep segmentation (normalised hip–ankle "squat depth" signal: 0 standing, ~0.5 parallel)
    rep_enter: Threshold = Threshold(0.12, "depth", "[heuristic] hysteresis entry ≈ 60° knee flexion (DESIGN §4)")
    rep_exit: Threshold = Threshold(0.06, "depth", "[heuristic] return to within ~6% of standing (hysteresis, MediaPipe pose_classification)")
    rep_min_depth: Threshold = Threshold(0.15, "depth", "[heuristic] ≈ 65° knee flexion: a quarter squat; VALD requires ≥ 30° flexion")
    rep_min_duration: Threshold = Threshold(0.6, "s", "DESIGN §4 / research §5: a rep lasts at least 0.6 s")
    rep_max_duration: Threshold = Threshold(12.0, "s", "[heuristic] longer dips are sitting, resting or set-up, not reps")
    stance_max_step: Threshold = Threshold(0.5, "leg lengths", "[heuristic] feet stay planted during a squat; a step or lunge moves a foot ≥ half a leg length, while MediaPipe ankle jitter in poor light reaches ~0.2")
    stance_line_jitter: Threshold = Threshold(0.2, "leg lengths", "[heuristic] MediaPipe ankle jitter in poor light reaches ~0.2 leg lengths (stance_max_step): a step changes the line between the ankles by more, a panning camera not at all (0.01-0.08 on the shared squats re-filmed panning; counted reps of the dev clips: median 0.03, max 0.10)")
    stance_max_split: Threshold = Threshold(0.35, "leg lengths", "[heuristic] feet side by side, not split front-to-back (lunge / split squat)")
    rep_cut_continuity: Threshold = Threshold(0.10, "depth", "[heuristic] depth change across a cut that still reads as the same movement (a squat moves ≤ ~0.04 a frame)")
    rep_lost_person: Threshold = Threshold(1.0, "s", "[heuristic] a rep is abandoned when the person is lost for longer than this")
    rep_opening_fraction: Threshold = Threshold(0.25, "fraction", "[heuristic] a clip opening at ≤ 25% of the rep's depth saw its descent")
    rep_baseline_window: Threshold = Threshold(0.5, "s", "[heuristic] standing frames this close to the rep's ends form its baseline")
    rep_loaded_fraction: Threshold = Threshold(0.5, "fraction", "[heuristic] frames at ≥ half the rep's peak depth are \"loaded\"")
    knee_judge_depth: Threshold = Threshold(0.25, "depth", "[heuristic] the knee judges also see every frame at least half way to parallel (depth ≈ 0.5 at parallel; ≈ 85° of knee flexion): knees cave on the way down and out of the hole as much as at the bottom (DESIGN §2), and in a deep squat half the peak depth is already past that range (the shared prisoner squat caves at depth 0.28-0.35 of a 0.55 peak)")
    # --- camera view (shoulder width / torso, nose offset / shoulder width, ankle gap / torso, while standing)
    view_front_min_shoulder: Threshold = Threshold(0.5, "ratio", "research spec (heuristic): shoulder width ≥ half the torso length seen from the front")
    view_side_max_shoulder: Threshold = Threshold(0.2, "ratio", "research spec (heuristic): shoulder width < 0.2 torso lengths seen from the side")
    view_front_max_nose_offset: Threshold = Threshold(0.25, "shoulder widths", "[heuristic] nose within a quarter shoulder-width of the midline")
    view_side_max_ankle: Threshold = Threshold(0.15, "torso lengths", "[heuristic] ankles overlap: < 0.15 torso lengths apart")
    view_front_min_ankle: Threshold = Threshold(0.2, "torso lengths", "[heuristic] ankles apart, clear of the side view's overlap (view_side_max_ankle): a squat stance seen from the front, from feet under the hips (ankles 0.25-0.4 torso lengths apart; the shared front clips 0.5-1.6, MediaPipe's hip points 0.33-0.43) to wide; how far the body is turned is told by the shoulders and the head, not by the stance (at 0.3, hip-width stances filmed square read oblique on 30 % of synthetic reps)")
    view_context: Threshold = Threshold(1.5, "s", "[heuristic] standing frames this close to a rep judge its view")
    view_front_max_feet_yaw: Threshold = Threshold(20.0, "deg", "[heuristic, Monte-Carlo] the planted feet vouch for a front view up to this turn of the camera from the way they point (half the two feet's turn-out difference in the picture), where the head's sideways offset while loaded says turned (it grows with the trunk's lean too): synthetic good squats judged as front views whatever the head said (1,000 sets, perspective camera) read clear on 0.0 % of reps at 10-20° of yaw, 3.7 % at 20-30°; the shared front clips' feet read 0-10°, their oblique clips' 23-50°")
    # --- what counts as a squat (vision/movement.py); leg, thigh and shank lengths from standing
    movement_min_seen: Threshold = Threshold(0.6, "fraction", "[heuristic] hips, knees and ankles seen on most of a dip's frames, or it is not judged")
    lunge_thigh_asymmetry: Threshold = Threshold(0.40, "thigh lengths", "[heuristic] hip-above-knee heights differ by 0.4 thigh lengths (≈ 35° of thigh tilt)")
    lunge_folded_shin: Threshold = Threshold(0.45, "shank lengths", "[heuristic] the folding leg's knee within 0.45 shank of its ankle's height")
    lunge_shin_asymmetry: Threshold = Threshold(0.75, "shank lengths", "[heuristic] one shin ≥ 0.75 shank lengths flatter than the other (≈ 10° vs 80° from the floor): on the shared clips lunges and split squats read 1.03–1.79, every counted squat ≤ 0.24 except two lifters hidden behind plates (0.50, 0.53)")
    single_leg_lift: Threshold = Threshold(0.25, "leg lengths", "[heuristic] the free ankle ≥ 0.25 leg lengths (≈ 22 cm) above the standing one: more than a 45° view makes a planted far foot look")
    single_leg_fraction: Threshold = Threshold(0.8, "fraction", "[heuristic] the free ankle lifted on this fraction of the rep's frames, start and end included")
    free_foot_follows_hips: Threshold = Threshold(0.5, "ratio", "[heuristic] a held free foot moves down ≥ half as far as the hips (held in the hand: ≈ 1); a foot on a bench or the floor ≈ 0")
    straight_leg_max_flexion: Threshold = Threshold(20.0, "deg", "[heuristic] a straight leg's hip, knee and ankle stay within 20° of a line in the image")
    lateral_lunge_ratio: Threshold = Threshold(0.5, "ratio", "[heuristic] the straighter leg shortens < half as much as the bent one (squats on the shared clips ≥ 0.86; synthetic lateral lunges ≤ 0.22 up to 45° of yaw)")
    lateral_lunge_hip_travel: Threshold = Threshold(0.15, "ankle widths", "[heuristic] a lateral lunge moves the hips sideways off the middle of the feet, over the bent leg's foot: synthetic side lunges 0.17-0.23 ankle widths at half their depth, 0.25-0.43 at full depth (front to 45° either way); a shuffle or dance step moves them either way (the shared dance clip re-filmed: 0.8-2.1); squats stay over the middle of the feet (the shared clips' counted reps ≤ 0.11 at their worst frames, synthetic squats with one knee caving ≤ 0.07), and a hip shift of 0.10 is already a squat fault (lateral_shift)")
    planted_travel: Threshold = Threshold(0.12, "leg lengths", "[heuristic] a planted foot's typical wander (MediaPipe ankle jitter ≈ 0.02–0.08 in good light); a foot that moves further is a free foot (at 0.25, a pistol's free foot held forward towards a camera looking down 10-30° travelled only 0.13 in the picture and the set was read as two-legged)")
    free_foot_wander_ratio: Threshold = Threshold(4.0, "ratio", "[heuristic] a free foot travels several times as far as the planted foot wanders on the same clip (the clip's own noise floor): the two feet of the shared squats wandered within 2.6× of each other over a rep (all 50 clips, any view), a shrimp squat's free foot 4.7-15× its planted one")
    free_leg_max_flexion: Threshold = Threshold(35.0, "deg", "[heuristic] the free leg of a step-down or pistol is held nearly straight; a lunge's rear knee bends ~90°")
    free_leg_end_on: Threshold = Threshold(0.5, "fraction", "[heuristic] a leg whose hip-ankle length in the picture is under half its standing length points nearly at the camera: its knee angle is a few pixels' noise (a pistol's straight free leg, seen by a phone low on the floor, read 36-68° bent on the Monte-Carlo bench)")
    knee_off_straight_leg: Threshold = Threshold(0.10, "leg lengths", "[heuristic] a straight leg's knee lies on the segment from its hip to its ankle in the picture, however foreshortened, up to the points' jitter (the Monte-Carlo pistols' free leg pointing at a phone on the floor, with the measured noise: 0.05 leg lengths); a folded leg's knee sits a thigh's or shank's foreshortened length off it (a synthetic Bulgarian split squat's rear leg, 8 cameras from the front, the side and behind: 0.37-0.56)")
    upright_min: Threshold = Threshold(0.7, "fraction", "[heuristic] standing: hips ≥ 0.7 of the straight-leg length above the ankles (plank ≈ 0.3)")
    end_trunk_max_lean: Threshold = Threshold(45.0, "deg", "[heuristic] a squat starts and finishes standing tall (NSCA: \"stand erect\"); a trunk closer to horizontal than vertical over straight legs is a bow")
    hinge_divergence: Threshold = Threshold(40.0, "deg", "[heuristic] trunk ≥ 40° more inclined than the shins: a deadlift sets the trunk at 45–60° over near-vertical shins; a squat keeps them within ~15° (NASM \"excessive forward lean\")")
    # --- depth
    parallel_knee_flexion: Threshold = Threshold(110.0, "deg", "Parallel ≈ 110–120° knee flexion (interior 60–70°; scite depth review)")
    side_depth_tolerance: Threshold = Threshold(0.15, "thigh lengths", "IPF/USAPL: hip crease below the TOP of the knee, which sits ~half a knee depth (≈6 cm ≈ 0.15 thigh) above the knee joint centre MediaPipe marks [heuristic band]")
    front_shallow_depth: Threshold = Threshold(-0.5, "thigh lengths", "[heuristic] from the front d=(y_hip−y_knee)/thigh is approximate (camera height bends it); only d < −sin 30° (thigh ≥ 30° above horizontal) is called shallow")
    depth_min_visibility: Threshold = Threshold(0.8, "visibility", "[heuristic] a depth verdict needs the hip and the better-seen knee clearly seen")
    depth_visibility_window: Threshold = Threshold(0.2, "s", "[heuristic] ... around the bottom (± this long)")
    # --- knee valgus
    kasr_min: Threshold = Threshold(0.80, "ratio", "[heuristic] knees < 80% of ankle width (KASR concept: Noyes, Mizner 2012)")
    kasr_drop: Threshold = Threshold(0.20, "fraction", "[heuristic] KASR falls > 20% from the standing baseline (DESIGN §2)")
    fppa_displacement: Threshold = Threshold(10.6, "deg", "FPPA change from standing ≥ 10.6° (Holden 2017, prospective PFP predictor)")
    knee_medial_shift: Threshold = Threshold(0.15, "hip widths", "[heuristic] per-leg knee shift towards the midline vs the ankle, from standing; guards FPPA cross-talk")
    knee_toe_inside: Threshold = Threshold(0.35, "foot lengths", "[heuristic] knee inside the line over its foot by ≥ one foot breadth (0.36 foot length, Drillis & Contini 1966): half a breadth puts it medial of the big toe, the clinical 'knee medial to foot' sign (Ageberg 2010; NASM: knees over the 2nd–3rd toes), the other half allows for MediaPipe's toe-point error")
    foot_to_shank: Threshold = Threshold(0.47, "ratio", "Ankle → toe tip ≈ 0.116 H vs shank 0.246 H (Drillis & Contini 1966, in Winter 2009): the foot's length, which the front view foreshortens")
    foot_to_shank_spread: Threshold = Threshold(0.10, "fraction", "[heuristic] foot length relative to the shank varies between people (segment-to-stature ratios vary ~5-7 % each, Drillis & Contini 1966 / Winter 2009): a longer foot reads a smaller turn-out and a knee nearer its line, so the foot line's low bound uses a foot 10 % longer")
    error_band_sigmas: Threshold = Threshold(2.0, "SD", "A measure decides a clear verdict alone only past its threshold by two standard deviations of its own error (one-sided ~98 %); at one SD, re-filmed copies of a good shared clip (15 fps, 320 px) read 2 of 110 good reps clear (bench/robustness.py)")
    bilateral_band_sigmas: Threshold = Threshold(1.0, "SD", "Both knees inside their own foot lines, each past its threshold by one standard deviation of its own turn-out error, decide clear together: the two feet's toe-point errors are independent (bench/noise_model.py reads them from the two feet's disagreement; the camera and foot-length errors both share are already in each low end), so both wrong at once is as rare (0.16² ≈ 2.5 %) as one measure past two SD (2.3 %)")
    ankle_to_shank: Threshold = Threshold(0.16, "ratio", "Ankle height ≈ 0.039 H vs shank 0.246 H (Drillis & Contini 1966, in Winter 2009), barefoot: a shoe's sole raises it, which only lowers the camera look-down angle estimated from the toe's drop below the ankle")
    turn_out_error_one_foot: Threshold = Threshold(9.0, "deg", "[measured] one foot's turn-out read from its toe point: SD 8.9° (bench/noise_model.py: the two feet's turn-out disagreement on the shared front clips, median half-difference 4.3°; an upper bound, as real stance asymmetry counts as error)")
    fppa_min_thigh: Threshold = Threshold(0.5, "fraction", "FPPA over-reads as the thigh foreshortens (planar cross-talk, mocapr); ignored below half the standing thigh length")
    fppa_single_leg_female: Threshold = Threshold(13.0, "deg", "Single-leg/landing norm upper bound, women (Herrington & Munro 2010)")
    fppa_single_leg_male: Threshold = Threshold(9.0, "deg", "Single-leg/landing norm upper bound, men (Herrington & Munro 2010)")
    fppa_single_leg_high: Threshold = Threshold(16.0, "deg", "PFP group mean in single-leg squat (Herrington 2014)")
    min_leg_px: Threshold = Threshold(75.0, "px", "[heuristic] MediaPipe's landmark model sees the person in a 256-px crop about 1.25x the body's height (≈ 2.6 hip–ankle lengths): below a 75-px hip–ankle length it enlarges the person ≥ 1.3x and the knee points drift (a shared front clip re-filmed from 1.7x as far, legs 62 px: its knees read as caving on 4 of 5 good reps; the shared front clips have legs of 105-230 px); the knee, asymmetry and lateral-shift checks are then not judged")
    foot_min_visibility: Threshold = Threshold(0.5, "visibility", "[heuristic] ankle and foot index both at least this visible for the foot line")
    foot_min_seen: Threshold = Threshold(0.6, "fraction", "[heuristic] ... on this fraction of the rep's frames")
    foot_max_spread: Threshold = Threshold(0.15, "shank lengths", "[heuristic] toe offset scatter (MAD) above which the foot is noise")
    knee_shift_foot_agreement: Threshold = Threshold(1.0, "fraction", "As for single-leg FPPA: where the feet are seen, the knee shift (with its FPPA, both 2D readings of one sideways movement) is clear only where the foot line passes its own threshold too: two independent measures agree, as a clear verdict asks. At half (0.5, [heuristic] before) a camera turned 13-25° off the front, whose view of the knees' forward travel moves one knee in and the other out, let the knee shift call 10 good reps of 3,300 caving in the Monte-Carlo bench (orthographic; 11 perspective); at 1.0, 3 (7), the caving reps it no longer decides alone (1 % of them) still possible; the shared clips unchanged")
    single_leg_fppa_foot_agreement: Threshold = Threshold(1.0, "fraction", "FPPA flags a standing knee only where its foot line passes its own threshold too (when the feet are seen): two measures agree, as a clear verdict asks. At half (0.5, [heuristic] before) a camera turned 10-20° let FPPA flag 8.1 % of good single-leg reps in the Monte-Carlo bench with planted-foot wander; at 1.0, 3.8 % (caving reps at least possible unchanged, 98 %)")
    oblique_clear_max_feet_yaw: Threshold = Threshold(35.0, "deg", "[Monte-Carlo] a view off the front (oblique, facing the camera) is judged on the foot line alone, which follows each knee along its own foot as the camera sees it; clear up to this turn of the camera as the feet read it (half their turn-out difference), possible at most beyond it or where a foot is not seen: the issue's ±30° plus the 5° the feet over-read a camera looking down 25° (valgus.feet_yaw_deg). Synthetic sets with yaw to ±45° (3,000 each, orthographic and perspective): good oblique reps clear on 0.0-1.2 % at every 5° bin of the reading from 20° to 45° and beyond; the shared oblique clips read 23-50°, none with a knee label")
    within_set_min_reps: Threshold = Threshold(3, "reps", "[heuristic] earlier reps of matched depth needed to know the person's own best and its noise")
    within_set_depth_match: Threshold = Threshold(0.2, "fraction", "[heuristic] earlier reps within ±20 % of this rep's peak depth are \"matched\"")
    sustain: Threshold = Threshold(0.10, "s", "[heuristic] a fault must last ≥ 0.1 s (3 frames at 30 fps) to count, not one noisy frame")
    # --- other faults
    trunk_tibia_divergence: Threshold = Threshold(15.0, "deg", "[heuristic] NASM/Brookbush: torso not parallel to the tibia")
    heel_rise: Threshold = Threshold(0.10, "shank lengths", "[heuristic] NASM fault list: heels rise; 0.05 (research spec) doubled because MediaPipe's heel point moves that much with a forward knee")
    lateral_shift: Threshold = Threshold(0.10, "ankle widths", "[heuristic] hips off the centre of the feet (Sensors 2024 correctness criterion)")
    asymmetry: Threshold = Threshold(9.0, "deg", "≈ smallest detectable difference of 2D FPPA (Munro 2012: SDD 7.5–8.9°)")
    # --- measurement error shown to users
    fppa_sem: Threshold = Threshold(3.0, "deg", "Manual 2D FPPA SEM ≈ 3° (Munro 2012; Gwynne & Curran 2014)")
    fppa_sdd: Threshold = Threshold(9.0, "deg", "Smallest detectable difference ≈ 8–9° (Munro 2012)")

    def to_dict(self) -> dict:
        return {k: asdict(v) for k, v in asdict_shallow(self).items()}


def asdict_shallow(obj) -> dict:
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    thresholds: Thresholds = field(default_factory=Thresholds)
    single_leg: bool = False


def _with(th: Thresholds, **values: float) -> Thresholds:
    return replace(th, **{k: replace(getattr(th, k), value=v) for k, v in values.items()})


PROFILES: dict[str, Profile] = {
    "bodyweight": Profile("bodyweight", "Air / bodyweight or goblet squat: all checks at their defaults."),
    "barbell": Profile(
        "barbell",
        "Back or front squat with a bar: more forward lean is normal with a low bar.",
        _with(Thresholds(), trunk_tibia_divergence=25.0),
    ),
    "single-leg": Profile(
        "single-leg",
        "Single-leg / pistol squat: FPPA judged against single-leg norms; bilateral ratios off.",
        single_leg=True,
    ),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"Unknown profile '{name}'. Choose one of: {', '.join(PROFILES)}.") from None


def single_leg_fppa_norm(th: Thresholds, sex: str | None) -> float:
    """The single-leg FPPA limit, degrees: > 13° women, > 9° men (Herrington & Munro 2010); 13° when sex is
    not given, the upper of the two, to avoid over-flagging."""
    return th.fppa_single_leg_male.value if sex == "male" else th.fppa_single_leg_female.value
