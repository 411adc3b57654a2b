"""Sidebar settings shared by every page (kept in ``st.session_state``).

``render_sidebar()`` draws the widgets (called once per run from ``app.py``, so the values
survive page switches); ``current()`` reads the values anywhere, with defaults when the
sidebar has not been drawn (a page run on its own, e.g. in tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui import presenters
from vision import pose
from vision.options import VIEWS, AnalysisOptions
from vision.pose import MODEL_FILES, MODEL_NOTES, build_command
from vision.thresholds import PROFILES, get_profile

VIEW_HELP = {"auto": "detect per rep", "front": "facing the camera", "side": "side-on (90°)"}
SEX_HELP = ("Only used with the single-leg profile: it picks the published single-leg FPPA norm each rep is judged "
            "against (Herrington & Munro 2010: up to 13° for women, 9° for men). Not specified uses 13°, the higher "
            "bound, so nobody is over-flagged. Double-leg squats have no sex-specific norms, so for them this "
            "changes nothing.")

KEYS = {"view": "settings_view", "profile": "settings_profile", "sex": "settings_sex", "model": "settings_model"}
DEFAULTS = {"view": "auto", "profile": "bodyweight", "sex": "not specified", "model": "full"}


@dataclass(frozen=True)
class Settings:
    view: str
    profile: str
    sex: str
    model: str

    @property
    def single_leg(self) -> bool:
        return get_profile(self.profile).single_leg

    def analysis_options(self, *, mirrored: bool = False, profile: str | None = None,
                         view: str | None = None) -> AnalysisOptions:
        """The engine's options for a clip (``mirrored``: the upload's own checkbox; ``profile`` /
        ``view``: a page's own choice over the sidebar's, as the screening's steps). Hashable: with
        the clip's SHA-256 it keys a page's result cache. Sex is given only for a single-leg profile
        (it picks the FPPA norm), so it changes the key only where it changes the result."""
        profile = profile or self.profile
        sex = presenters.engine_sex(self.sex) if get_profile(profile).single_leg else None
        return AnalysisOptions(view=view or self.view, profile=profile, model=self.model, sex=sex,
                               mirrored=bool(mirrored))


MODELS = ("lite", "full", "heavy")
MODEL_SHORT = {"lite": "faster, coarser", "full": "default", "heavy": "slower, most accurate"}


def available_models() -> list[str]:
    """The models whose bundles are in ``models/`` (``full`` always ships), in the order of ``MODELS``."""
    return [m for m in MODELS if m == "full" or (pose.MODELS_DIR / MODEL_FILES[m]).is_file()]


def model_label(name: str) -> str:
    missing = "" if name in available_models() else ", not built here"
    return f"{name} ({MODEL_SHORT[name]}{missing})"


def model_help() -> str:
    lines = [f"**{m}**: {MODEL_NOTES[m]}." for m in MODELS]
    lines.append("Lite and Heavy are built by `bash setup.sh`, or with `bash models/build_pose_model.sh lite heavy` "
                 "(the npm registry once; never while analysing).")
    return "\n\n".join(lines)


def current() -> Settings:
    state = st.session_state
    values = {name: state.get(key, DEFAULTS[name]) for name, key in KEYS.items()}
    if values["view"] not in VIEWS:
        values["view"] = DEFAULTS["view"]
    if values["profile"] not in PROFILES:
        values["profile"] = DEFAULTS["profile"]
    if values["sex"] not in presenters.SEX_OPTIONS:
        values["sex"] = DEFAULTS["sex"]
    if values["model"] not in available_models():
        values["model"] = DEFAULTS["model"]
    return Settings(**values)


def render_sidebar() -> Settings:
    """Draw the settings in the sidebar and return them."""
    cur = current()
    with st.sidebar:
        st.header("Settings")
        st.selectbox("Camera view", VIEWS, index=VIEWS.index(cur.view), key=KEYS["view"],
                     format_func=lambda v: f"{v} ({VIEW_HELP[v]})",
                     help="Auto detects front or side for each rep. Force it only if detection gets it wrong.")
        profiles = list(PROFILES)
        st.selectbox("Squat type", profiles, index=profiles.index(cur.profile), key=KEYS["profile"],
                     help="\n\n".join(f"**{p.name}**: {p.description}" for p in PROFILES.values()))
        st.selectbox("Sex (for single-leg FPPA norms)", presenters.SEX_OPTIONS,
                     index=presenters.SEX_OPTIONS.index(cur.sex), key=KEYS["sex"], help=SEX_HELP)
        chosen = st.session_state.get(KEYS["model"], cur.model)
        st.selectbox("Pose model", MODELS, index=MODELS.index(chosen if chosen in MODELS else cur.model),
                     key=KEYS["model"], format_func=model_label, help=model_help())
        if chosen in MODELS and chosen not in available_models():
            st.warning(f"The {chosen} model is not built on this machine, so **full** is used. Build it once with "
                       f"`{build_command(chosen)}` (needs the npm registry once).")
        settings = current()
        profile = get_profile(settings.profile)
        if profile.single_leg:
            for line in presenters.single_leg_norm(profile.thresholds.to_dict(), settings.sex):
                st.caption(line)
        with st.expander("Thresholds and sources"):
            render_thresholds(settings)
    return settings


def render_thresholds(settings: Settings) -> None:
    profile = get_profile(settings.profile)
    st.caption(f"Profile **{profile.name}**: {profile.description} "
               "Entries marked [heuristic] are design choices that no study validates.")
    st.markdown(presenters.threshold_markdown(profile.thresholds.to_dict()))
    st.caption(SEX_HELP)
