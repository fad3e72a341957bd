"""The per-pixel uncertainty (issue 26, item 3): features with hand-computed values on a few pixels, coverage and rank
correlation on synthetic residuals whose scale is a known function of a feature, the choice between the models with
and without the spread, the JSON round trip, and bad calibration data."""
import json

import numpy as np
import pytest

from stfusion.errors import InputDataError
from stfusion.uncertainty import LEVELS
from stfusion.uncertainty.calibration import (WITH_SPREAD, BandModel, Samples, UncertaintyModel, design_matrix, fit,
                                              load_model, minimum_pixels, model_columns, sample_pixels, save_model)
from stfusion.uncertainty.features import (RAW_FEATURES, coarse_change, heterogeneity, local_std, pixel_features,
                                           prediction_spread)
from stfusion.uncertainty.reliability import coverage, leave_one_date_out, rank_correlation

NAN = np.nan
COLUMN = {name: i for i, name in enumerate(RAW_FEATURES)}


def test_the_spread_is_the_std_over_methods_and_undefined_for_one_method():
    a, b = np.full((1, 1, 2), 0.2, np.float32), np.array([[[0.3, 0.1]]], np.float32)
    np.testing.assert_allclose(prediction_spread(np.stack([a, b])), [[[0.05, 0.05]]], rtol=1e-6)  # |a - b| / 2
    assert prediction_spread(a[None]) is None


def test_the_coarse_change_is_the_least_over_references_resampled_bilinearly():
    target = np.array([[[0.5, 0.9]]], np.float32)  # 1 band, 1 x 2 coarse pixels, ratio 2
    refs = np.array([[[[0.3, 0.8]]], [[[0.4, NAN]]]], np.float32)  # |change| 0.2, 0.1 and 0.1, NaN: least 0.1, 0.1
    change = coarse_change(target, refs, ratio=2)
    np.testing.assert_allclose(change[0], np.full((2, 4), 0.1), rtol=1e-5)
    step = coarse_change(np.array([[[0.5, 0.9]]], np.float32), np.array([[[[0.5, 0.5]]]], np.float32), ratio=2)
    # fine column x sits at coarse s = (x + 0.5) / 2 - 0.5, clamped: 0, 0.25, 0.75, 1 -> 0, 0.1, 0.3, 0.4
    np.testing.assert_allclose(step[0, 0], [0.0, 0.1, 0.3, 0.4], atol=1e-6)


def test_the_local_std_uses_the_finite_pixels_of_the_window_clipped_at_the_edge():
    image = np.array([[[1, 2, 3], [4, NAN, 6], [7, 8, 9]]], np.float32)
    std = local_std(image)
    np.testing.assert_allclose(std[0, 1, 1], np.std([1, 2, 3, 4, 6, 7, 8, 9]), rtol=1e-6)  # centre: NaN left out
    np.testing.assert_allclose(std[0, 0, 0], np.std([1, 2, 4]), rtol=1e-6)  # corner: 2 x 2 window, one NaN
    flat = np.zeros((1, 3, 3), np.float32)
    np.testing.assert_allclose(heterogeneity(np.stack([image, flat]))[0, 0, 0], np.std([1, 2, 4]) / 2, rtol=1e-6)
    assert np.isnan(local_std(np.full((1, 3, 3), NAN, np.float32))).all()


def test_the_feature_table_puts_each_quantity_under_its_name():
    fine = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4) / 100
    coarse_refs, coarse_t = np.full((1, 1, 2, 2), 0.2, np.float32), np.full((1, 2, 2), 0.5, np.float32)
    quality = np.stack([np.full((4, 4), 1.0), np.full((4, 4), 3.0), np.full((4, 4), 16.0)]).astype(np.float32)
    predictions = np.stack([fine[0], fine[0] + 0.02])
    row = pixel_features(predictions, fine, coarse_refs, coarse_t, quality, ratio=2).table(np.array([5]))[0, 0]
    expected = {"spread": 0.01, "coarse_change": 0.3, "coarse_state": 1, "coarse_days_to_clear": 3,
                "reference_days": 16, "heterogeneity": np.std([0, 1, 2, 4, 5, 6, 8, 9, 10]) / 100}
    np.testing.assert_allclose([row[COLUMN[name]] for name in expected], list(expected.values()), rtol=1e-5)


def test_the_design_matrix_marks_pixels_without_a_clear_reference_and_gap_filled_ones():
    raw = np.array([[0.01, 0.02, 2, 5, -1, NAN], [0.01, 0.02, 0, 0, 8, 0.03]])
    design = design_matrix(raw, with_spread=False)
    columns = model_columns(with_spread=False)
    values = {name: design[:, i] for i, name in enumerate(columns)}
    np.testing.assert_array_equal(values["no_clear_reference"], [1, 0])
    np.testing.assert_array_equal(values["coarse_filled"], [1, 0])
    np.testing.assert_allclose(values["log1p_reference_days"], [0, np.log(9)])
    assert np.isfinite(design).all() and "log_spread" not in columns


def heteroscedastic(dates: int = 6, per_date: int = 2000, seed: int = 1) -> Samples:
    """One band whose residual is normal with sigma = coarse_change (log-uniform over two decades): the other
    features carry no information."""
    rng = np.random.default_rng(seed)
    n = dates * per_date
    features = np.zeros((n, 1, len(RAW_FEATURES)))
    sigma = np.exp(rng.uniform(np.log(1e-3), np.log(1e-1), n))
    features[:, 0, COLUMN["spread"]] = rng.uniform(0.001, 0.05, n)
    features[:, 0, COLUMN["coarse_change"]] = sigma
    features[:, 0, COLUMN["reference_days"]] = rng.integers(1, 40, n)
    features[:, 0, COLUMN["heterogeneity"]] = rng.uniform(0.001, 0.05, n)
    residuals = rng.normal(0, sigma)[:, None]
    return Samples(np.repeat([f"2021-0{m}-01" for m in range(1, dates + 1)], per_date), features, residuals)


def test_coverage_on_left_out_dates_matches_each_level_and_the_width_ranks_the_error():
    samples = heteroscedastic()
    held_out = leave_one_date_out(samples, ["red"], "synthetic residuals")
    pooled = coverage(held_out).query("date == 'all'").set_index("stated")
    n_test, n_calibration = len(samples.dates), len(samples.dates) * 5 / 6 / 2
    for level in LEVELS:
        tolerance = 4 * np.sqrt(level * (1 - level) * (1 / n_test + 1 / n_calibration))
        assert abs(pooled.observed[level] - level) < tolerance, (level, pooled.observed[level])
    # log|r| = log sigma + log|z|: sd 1.33 against 1.11, a Spearman rho near 0.75 for a perfect sigma
    assert rank_correlation(held_out, ["red"])["red"] > 0.7


def test_the_model_with_the_spread_serves_dates_that_two_methods_predict():
    one = BandModel((0.0,) * len(model_columns(False)), {0.9: 1.0}, 100, 100)
    two = BandModel((np.log(2.0),) + (0.0,) * (len(model_columns(True)) - 1), {0.9: 1.0}, 100, 100)
    model = UncertaintyModel(("red",), (0.9,), {"red": one}, {"red": two})
    fine = np.full((1, 1, 2, 2), 0.1, np.float32)
    coarse_refs, coarse_t = np.full((1, 1, 1, 1), 0.1, np.float32), np.full((1, 1, 1), 0.2, np.float32)
    quality = np.zeros((3, 2, 2), np.float32)
    alone = pixel_features(fine, fine, coarse_refs, coarse_t, quality, ratio=2)
    pair = pixel_features(np.concatenate([fine, fine + 0.1]), fine, coarse_refs, coarse_t, quality, ratio=2)
    np.testing.assert_allclose(model.half_width(alone), 1.0)
    np.testing.assert_allclose(model.half_width(pair), 2.0, rtol=1e-6)
    without = UncertaintyModel(("red",), (0.9,), {"red": one}, None)
    with pytest.raises(InputDataError, match="no model with the spread"):
        without.half_width(pair)


def test_fit_calibrates_both_models_on_the_same_residuals_and_survives_a_json_round_trip(tmp_path):
    samples = heteroscedastic(dates=2, per_date=500)
    model = fit(samples, ["red"], "synthetic residuals")
    assert model.with_spread["red"].fit_pixels == model.without_spread["red"].fit_pixels == 500
    path = tmp_path / "uncertainty.json"
    save_model(path, model)
    again = load_model(path)
    assert again == model
    raw = samples.features[:10]
    np.testing.assert_array_equal(again.half_width_table(raw), model.half_width_table(raw))
    data = json.loads(path.read_text())
    assert set(data[WITH_SPREAD]["red"]["multipliers"]) == {"0.5", "0.8", "0.9", "0.95"}
    path.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(InputDataError, match="uncertainty.json is not an uncertainty model.*rerun"):
        load_model(path)


def test_too_few_calibration_pixels_and_nan_residuals_are_refused_with_the_fix():
    assert minimum_pixels(LEVELS) == 40  # 20 for the 95 % quantile, as many again to fit
    few = heteroscedastic(dates=1, per_date=39)
    with pytest.raises(InputDataError, match=r"only 39 calibration pixels of method fsdaf, band red, model "
                                             r"without_spread .* at least 40 .* more held-out dates"):
        fit(few, ["red"], "method fsdaf")
    empty = Samples(few.dates, few.features, np.full_like(few.residuals, NAN))
    with pytest.raises(InputDataError, match="every calibration residual of method fsdaf is NaN.*2021-01-01"):
        fit(empty, ["red"], "method fsdaf")
    with pytest.raises(InputDataError, match="on 1 date.*at least two"):
        leave_one_date_out(heteroscedastic(dates=1, per_date=100), ["red"], "method fsdaf")


def test_pixels_are_sampled_where_the_residual_and_the_quality_band_are_finite():
    fine = np.full((1, 1, 4, 4), 0.1, np.float32)
    quality = np.zeros((3, 4, 4), np.float32)
    quality[:, 0, 0] = NAN  # outside the data
    features = pixel_features(fine, fine, np.full((1, 1, 2, 2), 0.1, np.float32), np.full((1, 2, 2), 0.1, np.float32),
                              quality, ratio=2)
    residual = np.zeros((1, 4, 4), np.float32)
    residual[0, 3, 3] = NAN
    drawn = sample_pixels(features, residual, "2021-05-01", np.random.default_rng(0), 100)
    assert len(drawn.dates) == 14 and np.isfinite(drawn.residuals).all()
    assert len(sample_pixels(features, residual, "2021-05-01", np.random.default_rng(0), 5).dates) == 5


# ---------------------------------------------------------------- whose residuals calibrate (rule uncertainty_calibration)


def test_a_method_holding_out_two_dates_calibrates_on_its_own_residuals_else_borrows_the_sites_classical_ones():
    from stfusion.uncertainty.sources import calibration_methods
    held = {"deep": [], "starfm": ["a", "b"], "fsdaf": ["a", "b", "c"], "naive": ["a", "b"], "ens": ["a", "b"]}
    families = {"deep": "deep", "starfm": "classical", "fsdaf": "classical", "naive": "naive", "ens": "ensemble"}
    assert calibration_methods("starfm", "s", held, families) == ["starfm"]
    assert calibration_methods("deep", "s", held, families) == ["starfm", "fsdaf"]  # no ensemble, no naive
    assert calibration_methods("deep", "s", {"deep": ["a"], "naive": ["a", "b"]}, families) == ["naive"]


def test_no_method_holding_out_two_dates_is_a_config_error_naming_the_key_and_the_fix():
    from stfusion.errors import ConfigError
    from stfusion.uncertainty.sources import calibration_methods
    with pytest.raises(ConfigError, match=r"sites\.s\.methods: method deep holds out 1 scored date.*add a classical"):
        calibration_methods("deep", "s", {"deep": ["a"], "other": ["a"]}, {"deep": "deep", "other": "deep"})


def test_the_reliability_table_has_every_band_and_all_per_level_with_spearman():
    from stfusion.uncertainty.reliability import reliability_table
    samples = heteroscedastic(dates=3, per_date=400)
    table = reliability_table(leave_one_date_out(samples, ["red"], "synthetic residuals"), ["red"])
    assert list(table.band.unique()) == ["red", "all"] and list(table.stated[:4]) == list(LEVELS)
    assert (table.pixels == 1200).all() and table.observed.between(0, 1).all()
    assert (table[table.band == "red"].observed.to_numpy() == table[table.band == "all"].observed.to_numpy()).all()
