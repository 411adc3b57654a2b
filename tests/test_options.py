"""``vision.options.AnalysisOptions``: validated once, hashable, picklable, and ``result["settings"]`` as before."""

from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import pytest

from vision.options import EVERY_FRAME, FAST, INFERENCE_MAX_SIDE, AnalysisOptions, Extraction
from vision.thresholds import PROFILES


def settings_before(*, view, profile, model, model_sha256, mirrored, sex, max_side, extraction, workers) -> dict:
    """``vision.analysis.analysis_settings`` as it was before the options object (engine 0.3.3, copied
    verbatim): the dict every batch JSON written so far holds, which a rerun compares to skip a clip."""
    return {"view": view, "profile": profile, "model": str(model), "model_sha256": model_sha256,
            "mirrored": bool(mirrored), "sex": sex, "max_side": max_side,
            "extraction": {"moving_hz": extraction.moving_hz, "idle_hz": extraction.idle_hz},
            "workers": int(workers)}


@pytest.mark.parametrize("kw, workers_used", [
    ({}, 1),
    ({"view": "front", "profile": "barbell", "mirrored": True, "workers": 2}, 2),
    ({"profile": "single-leg", "sex": "male", "model": "lite"}, 1),
    ({"view": "side", "sex": "female", "model": "/models/custom.task", "extraction": EVERY_FRAME, "workers": 1}, 1),
])
def test_settings_are_todays_dict_key_for_key_and_byte_for_byte(kw, workers_used):
    opts = AnalysisOptions(**kw)
    full = {"view": "auto", "profile": "bodyweight", "mirrored": False, "sex": None, "model": "full",
            "extraction": FAST, "max_side": INFERENCE_MAX_SIDE} | {k: v for k, v in kw.items() if k != "workers"}
    before = settings_before(model_sha256="ab" * 32, workers=workers_used, **full)
    now = opts.settings(model_sha256="ab" * 32, workers=workers_used)
    assert now == before
    assert list(now) == list(before)                       # same key order: the JSON text is the same
    import json
    assert json.dumps(now) == json.dumps(before)


def test_defaults_are_the_engines_defaults():
    opts = AnalysisOptions()
    assert (opts.view, opts.profile, opts.mirrored, opts.sex, opts.model, opts.extraction, opts.workers,
            opts.max_side) == ("auto", "bodyweight", False, None, "full", FAST, None, 640)
    assert opts.forced_view is None and AnalysisOptions(view="side").forced_view == "side"


@pytest.mark.parametrize("kw, words", [
    ({"view": "top"}, ["'top'", "'auto'", "'front'", "'side'"]),
    ({"profile": "pistol"}, ["'pistol'", *(repr(p) for p in PROFILES)]),
    ({"sex": "f"}, ["'f'", "'female'", "'male'", "None"]),
    ({"mirrored": "yes"}, ["'yes'", "True or False"]),
    ({"model": ""}, ["''", "'lite'", "'full'", "'heavy'"]),
    ({"extraction": "fast"}, ["'fast'", "'every-frame'"]),
    ({"workers": 0}, ["0", "at least 1"]),
    ({"workers": 1.5}, ["1.5"]),
    ({"workers": True}, ["True"]),
    ({"max_side": -1}, ["-1"]),
])
def test_a_bad_value_is_named_with_the_allowed_ones(kw, words):
    with pytest.raises(ValueError) as err:
        AnalysisOptions(**kw)
    for word in words:
        assert word in str(err.value), (word, str(err.value))


def test_replace_validates_again():
    with pytest.raises(ValueError, match="'sideways'"):
        AnalysisOptions().replace(view="sideways")
    assert AnalysisOptions().replace(profile="barbell").profile == "barbell"


def test_frozen_hashable_and_picklable():
    a = AnalysisOptions(view="front", profile="single-leg", sex="female", workers=2)
    b = AnalysisOptions(view="front", profile="single-leg", sex="female", workers=2)
    assert a == b and hash(a) == hash(b) and len({a, b, AnalysisOptions()}) == 2
    with pytest.raises(AttributeError):
        a.view = "side"  # type: ignore[misc]
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(a, protocol=protocol))
        assert back == a and hash(back) == hash(a)
    assert pickle.loads(pickle.dumps(EVERY_FRAME)) == EVERY_FRAME
    assert repr(FAST) == "Extraction(moving_hz=15.0, idle_hz=7.5)"  # bench/accuracy.py's cache keys use it


def test_a_path_model_is_kept_as_text():
    assert AnalysisOptions(model=Path("/m/x.task")).model == "/m/x.task"  # type: ignore[arg-type]


def test_the_single_leg_judge_gets_the_norm_for_the_sex():
    th = PROFILES["single-leg"].thresholds
    assert AnalysisOptions(profile="single-leg", sex="male").single_leg_fppa_norm == th.fppa_single_leg_male.value == 9.0
    assert AnalysisOptions(profile="single-leg", sex="female").single_leg_fppa_norm == 13.0
    assert AnalysisOptions(profile="single-leg").single_leg_fppa_norm == 13.0    # not given: the higher bound


def test_from_cli_args_reads_the_subcommands_options():
    from vision.__main__ import build_parser

    args = build_parser().parse_args(["analyze", "x.mp4", "--view", "side", "--profile", "barbell", "--mirrored",
                                      "--sex", "male", "--model", "lite", "--workers", "1"])
    assert AnalysisOptions.from_cli_args(args) == AnalysisOptions(view="side", profile="barbell", mirrored=True,
                                                                  sex="male", model="lite", workers=1)
    screen = argparse.Namespace(model="heavy", mirrored=False, sex=None)        # `screen` has no --view/--profile
    assert AnalysisOptions.from_cli_args(screen, profile="single-leg") == AnalysisOptions(model="heavy",
                                                                                          profile="single-leg")


def test_the_cli_refuses_a_bad_option_in_words(capsys):
    from vision.__main__ import main

    with pytest.raises(SystemExit) as exit_:
        main(["analyze", "x.mp4", "--workers", "0"])
    assert exit_.value.code == 2
    assert "workers must be a whole number of at least 1" in capsys.readouterr().err


def test_extraction_still_importable_where_it_was():
    from vision import analysis, extraction

    assert extraction.Extraction is analysis.Extraction is Extraction
    assert extraction.FAST is FAST and extraction.INFERENCE_MAX_SIDE == INFERENCE_MAX_SIDE


def test_the_ui_settings_give_sex_only_to_a_single_leg_profile_and_a_page_may_choose_profile_and_view():
    from ui.settings import Settings

    s = Settings(view="front", profile="bodyweight", sex="female", model="full")
    assert s.analysis_options() == AnalysisOptions(view="front", profile="bodyweight", model="full")
    step = s.analysis_options(mirrored=True, profile="single-leg", view="auto")
    assert step == AnalysisOptions(view="auto", profile="single-leg", model="full", sex="female", mirrored=True)
    assert Settings("auto", "single-leg", "not specified", "lite").analysis_options().sex is None
