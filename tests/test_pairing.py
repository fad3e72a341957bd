"""Pairing and patches (SPEC 2.6-2.7): known answers on small date lists and arrays."""
import re

import numpy as np
import pandas as pd
import pytest

from stfusion.errors import ConfigError, InputDataError
from stfusion.pairing import (
    as_predicted,
    Group, choose_references, pair_dates, prediction_groups, require_groups, split_groups, training_groups,
)
from stfusion.patches import cut_patches, window_split, window_starts

PAIRS = ["2021-03-20", "2021-05-29", "2021-07-10", "2021-08-21", "2021-09-18"]


def test_pair_dates_need_both_sensors_kept():
    inventory = pd.DataFrame({
        "sensor": ["l", "l", "l", "m", "m", "m"],
        "date": ["2021-01-01", "2021-02-01", "2021-03-01", "2021-01-01", "2021-02-01", "2021-03-01"],
        "kept": [True, True, False, True, False, True],
    })
    assert pair_dates(inventory, "l", "m") == ["2021-01-01"]


def test_nearest_before_and_after_within_the_window():
    assert choose_references("2021-06-12", PAIRS, 90, 2) == ("2021-05-29", "2021-07-10")
    assert choose_references("2021-06-12", PAIRS, 90, 1) == ("2021-05-29",)  # 14 days before vs 28 after
    assert choose_references("2021-07-24", PAIRS, 90, 1) == ("2021-07-10",)
    assert choose_references("2021-03-20", PAIRS, 90, 2) == ()  # nothing before
    assert choose_references("2021-03-20", PAIRS, 90, 1) == ("2021-05-29",)  # its own pair is never a reference
    assert choose_references("2021-04-17", PAIRS, 20, 1) == ()  # 28 and 42 days: outside the window


def test_tie_takes_the_earlier_reference():
    assert choose_references("2021-01-11", ["2021-01-01", "2021-01-21"], 90, 1) == ("2021-01-01",)


def test_every_coarse_date_with_references_is_predicted():
    coarse = ["2021-03-20", "2021-04-03", "2021-05-29", "2021-09-18", "2021-12-31"]
    groups = prediction_groups(coarse, PAIRS, 90, 1)
    assert [g.target for g in groups] == ["2021-03-20", "2021-04-03", "2021-05-29", "2021-09-18"]
    assert groups[2].references == ("2021-07-10",)  # 42 days after beats 70 days before


def test_training_groups_for_one_and_two_references():
    two = training_groups(PAIRS, 90, 2)
    assert [(g.target, g.references) for g in two] == [
        ("2021-05-29", ("2021-03-20", "2021-07-10")),
        ("2021-07-10", ("2021-05-29", "2021-08-21")),
        ("2021-08-21", ("2021-07-10", "2021-09-18")),
    ]
    one = training_groups(PAIRS, 90, 1)
    assert len(one) == 8 and Group("2021-03-20", ("2021-05-29",)) in one


def test_split_is_by_target_seeded_and_complete():
    groups = training_groups(PAIRS, 90, 1)
    train, val = split_groups(groups, 0.25, seed=7)
    assert sorted(train + val, key=lambda g: g.name) == sorted(groups, key=lambda g: g.name)
    assert len({g.target for g in val}) == 1 and not {g.target for g in train} & {g.target for g in val}
    assert split_groups(groups, 0.25, seed=7) == (train, val)
    assert split_groups(groups[:1], 0.25, seed=7) == (groups[:1], [])
    one_target = [g for g in groups if g.target == "2021-05-29"]  # a group on either side, one target
    assert len(one_target) == 2 and split_groups(one_target, 0.25, seed=7) == (one_target, [])


def test_a_window_split_holds_out_a_band_that_no_training_window_overlaps():
    assert window_split(16, 4, 4, 0.25) == ([0, 4, 8], [12])
    assert window_split(10, 4, 2, 0.25) == ([0, 2], [6])  # starts 0, 2, 4, 6: the one at 4 overlaps 6 and is dropped
    assert window_split(50, 50, 30, 0.25) == ([0], [])  # one window: no room for a held-out band
    training, held = window_split(64, 8, 4, 0.25)
    assert held == [44, 48, 52, 56] and training[-1] + 8 <= held[0]


def test_no_group_is_an_error_with_advice():
    with pytest.raises(InputDataError, match=re.escape("(out/demo/qa/inventory.tsv shows which scenes were dropped")):
        require_groups([], "demo", 2, "out/demo/qa/inventory.tsv")


def test_windows_cover_the_scene_with_the_last_flush():
    assert window_starts(16, 8, 8) == [0, 8]
    assert window_starts(17, 8, 4) == [0, 4, 8, 9]
    with pytest.raises(ConfigError, match="patches.size"):
        window_starts(6, 8, 4)


def test_patches_match_their_windows_and_skip_nan():
    rng = np.random.default_rng(0)
    ratio, size = 4, 2
    fine_refs, coarse_refs = rng.random((2, 3, 16, 16)), rng.random((2, 3, 4, 4))
    coarse_t1, target = rng.random((3, 4, 4)), rng.random((3, 16, 16))
    target[1, 15, 15] = np.nan  # lies in the last window only
    patches = cut_patches(fine_refs, coarse_refs, coarse_t1, target, ratio, size, 2)
    assert patches["target"].shape == (3, 3, 8, 8) and patches["coarse_refs"].shape == (3, 2, 3, 2, 2)
    np.testing.assert_array_equal(patches["fine_refs"][1], fine_refs[:, :, 0:8, 8:16].astype(np.float32))
    np.testing.assert_array_equal(patches["coarse_t1"][2], coarse_t1[:, 2:4, 0:2].astype(np.float32))
    assert not any(np.isnan(a).any() for a in patches.values())


def test_validation_keeps_of_each_target_the_group_its_prediction_uses():
    """With one reference a target has a group per side; validation keeps the nearer one (what predict uses)."""
    pairs = ["2021-01-01", "2021-01-11", "2021-02-10"]
    groups = training_groups(pairs, 60, 1)
    kept = as_predicted([g for g in groups if g.target == "2021-01-11"], pairs, 60, 1)
    assert [(g.target, g.references) for g in kept] == [("2021-01-11", ("2021-01-01",))]
    two = training_groups(pairs, 60, 2)
    assert as_predicted(two, pairs, 60, 2) == two
