"""Every threshold the engine judges with, in one place, each with its source.

``[heuristic]`` marks a design choice no study validates; the UI and reports show these
sources. Profiles tune what differs between squat styles; sex-specific FPPA norms are
offered for single-leg work only (no bilateral norms exist, Herrington & Munro 2010).
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
    stance_max_split: Threshold = Threshold(0.35, "leg lengths", "[heuristic] feet side by side, not split front-to-back (lunge / split squat)")
    # --- depth
    parallel_knee_flexion: Threshold = Threshold(110.0, "deg", "Parallel ≈ 110–120° knee flexion (interior 60–70°; scite depth review)")
    side_depth_tolerance: Threshold = Threshold(0.15, "thigh lengths", "IPF/USAPL: hip crease below the TOP of the knee, which sits ~half a knee depth (≈6 cm ≈ 0.15 thigh) above the knee joint centre MediaPipe marks [heuristic band]")
    front_shallow_depth: Threshold = Threshold(-0.5, "thigh lengths", "[heuristic] from the front d=(y_hip−y_knee)/thigh is approximate (camera height bends it); only d < −sin 30° (thigh ≥ 30° above horizontal) is called shallow")
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
