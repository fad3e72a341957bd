"""Gap filling of the coarse series, the target schedule and the prediction's quality band (issue 25, items 1-3):
known answers on arrays of a few pixels and on the demo's dates."""
import numpy as np
import pandas as pd
import pytest

from stfusion.errors import ConfigError
from stfusion.evaluation import rmse_by_coarse_state
from stfusion.gapfill import FILLED_BETWEEN, FILLED_ONE_SIDE, OBSERVED, fill_linear, filling_scenes
from stfusion.pairing import coarse_masked
from stfusion.quality_band import NO_CLEAR_REFERENCE, quality_band
from stfusion.schedule import check_series, method_dates, schedule_dates

NAN = np.nan


def series(*pixels):
    """(scenes, 1 band, 1 row, len(pixels) cols) from one value list per pixel (a value per scene)."""
    return np.array(pixels, dtype=np.float32).T[:, None, None, :]


def test_a_pixel_between_clear_observations_is_linear_in_time():
    # scenes at t-4, t (cloudy at pixels 0-1), t+4 and t+12; pixel 1 has t+4 cloudy too: t-4 and t+12
    images = series([0.2, NAN, 0.4, 0.9], [0.2, NAN, NAN, 0.6], [0.5, 0.7, 0.1, 0.1])
    value, info = fill_linear(images, [-4, 0, 4, 12], max_gap_days=30)
    np.testing.assert_allclose(value[0, 0], [0.3, 0.3, 0.7], rtol=1e-6)  # mean; a quarter of the way; observed
    np.testing.assert_array_equal(info.state[0], [FILLED_BETWEEN, FILLED_BETWEEN, OBSERVED])
    np.testing.assert_array_equal(info.days_to_clear[0], [4, 4, 0])


def test_one_side_holds_the_nearest_and_beyond_max_gap_days_stays_nan():
    images = series([0.2, NAN, NAN], [NAN, NAN, 0.4], [NAN, NAN, NAN])  # scenes at t-5, t, t+20
    value, info = fill_linear(images, [-5, 0, 20], max_gap_days=10)
    np.testing.assert_allclose(value[0, 0, :2], [0.2, NAN])  # t+20 is beyond reach of pixel 1
    assert np.isnan(value[0, 0, 2]) and np.isnan(info.state[0, 2]) and np.isnan(info.days_to_clear[0, 2])
    assert info.state[0, 0] == FILLED_ONE_SIDE and info.days_to_clear[0, 0] == 5


def test_a_date_without_a_scene_and_a_pixel_missing_in_one_band():
    images = np.array([[[[0.2, 0.2]], [[0.4, NAN]]], [[[0.6, 0.6]], [[0.8, 0.8]]]], dtype=np.float32)
    value, info = fill_linear(images, [-2, 2], max_gap_days=30)  # no scene on the date itself
    np.testing.assert_allclose(value[:, 0, 0], [0.4, 0.6], rtol=1e-6)
    np.testing.assert_allclose(value[:, 0, 1], [0.6, 0.8], rtol=1e-6)  # t-2 has a band missing: not clear
    np.testing.assert_array_equal(info.state[0], [FILLED_BETWEEN, FILLED_ONE_SIDE])


# the demo's coarse scenes: masked fractions of its inventory (stripes on 06-12 and 09-04, clouds on 07-24)
DEMO = {d: 0.0 for d in ["2021-05-29", "2021-06-26", "2021-07-10", "2021-08-07", "2021-08-21", "2021-09-18"]}
DEMO |= {"2021-06-12": 0.117, "2021-07-24": 0.598, "2021-09-04": 0.0625}


def test_a_date_reads_the_scenes_up_to_the_nearest_fully_clear_one_on_each_side():
    assert filling_scenes("2021-07-10", DEMO, 30, 0.9) == ["2021-07-10"]  # fully clear: itself
    assert filling_scenes("2021-07-24", DEMO, 30, 0.9) == ["2021-07-10", "2021-07-24", "2021-08-07"]
    assert filling_scenes("2021-09-12", DEMO, 30, 0.9) == ["2021-08-21", "2021-09-04", "2021-09-18"]
    assert filling_scenes("2021-07-26", DEMO, 30, 0.9) == ["2021-07-10", "2021-07-24", "2021-08-07"]
    assert filling_scenes("2021-07-26", DEMO, 30, 0.5) == ["2021-07-10", "2021-08-07"]  # 07-24 unusable
    assert filling_scenes("2021-12-01", DEMO, 30, 0.9) == []
    # a scene added after the last one is read by no date before the fully clear 09-18
    added = DEMO | {"2021-10-02": 0.0}
    changed = [d for d in ("2021-09-04", "2021-09-12", "2021-09-18", "2021-09-20")
               if filling_scenes(d, added, 30, 0.9) != filling_scenes(d, DEMO, 30, 0.9)]
    assert changed == ["2021-09-20"]


def test_masked_fractions_of_the_coarse_scenes_kept_or_not():
    inventory = pd.DataFrame({"sensor": ["m", "m", "l"], "date": ["2021-01-01", "2021-01-02", "2021-01-01"],
                              "nodata_fraction": [0.1, 0.0, 0.5], "cloud_fraction": [0.2, 0.0, 0.0],
                              "shadow_fraction": [0.05, 0.0, 0.0]})
    assert coarse_masked(inventory, "m") == {"2021-01-01": 0.35, "2021-01-02": 0.0}


COARSE = ["2021-03-20", "2021-04-03", "2021-04-17"]


def test_schedule_regular_explicit_and_none():
    assert schedule_dates({"every": 8}, COARSE) == ["2021-03-20", "2021-03-28", "2021-04-05", "2021-04-13"]
    assert schedule_dates({"every": 10, "start": "2021-04-01", "end": "2021-04-21"}, COARSE) == [
        "2021-04-01", "2021-04-11", "2021-04-21"]
    assert schedule_dates({"dates": ["2021-05-02", "2021-05-01"]}, COARSE) == ["2021-05-01", "2021-05-02"]
    assert schedule_dates(None, COARSE) == []


def config_with(series):
    return {"methods": {"a": {}, "b": {}}, "gap_filling": {"max_gap_days": 30},
            "sites": {"s": {"fusion": {"fine": "l", "coarse": "m"}, "series": series}}}


def test_the_schedule_is_predicted_by_its_methods_besides_the_coarse_dates():
    config = config_with({"every": 8, "methods": ["b"]})
    assert method_dates(config, "s", "a", COARSE) == COARSE
    assert method_dates(config, "s", "b", COARSE) == sorted(set(COARSE) | {"2021-03-28", "2021-04-05", "2021-04-13"})


@pytest.mark.parametrize("series, expected", [
    ({"every": 8, "methods": ["c"]}, "sites.s.series.methods names c, not a method of the site (a, b)"),
    ({"every": 8, "dates": ["2021-04-01"]}, "sites.s.series needs either `every`"),
    ({"every": 8, "start": "2021-05-01", "end": "2021-04-01"}, "sites.s.series: start 2021-05-01 is after end 2021-04-01: swap"),
    ({"dates": ["2021-03-01", "2021-07-01"]}, "sites.s.series: 1 date(s) (2021-07-01) have no coarse scene of "
                                              "scenes.tsv within gap_filling.max_gap_days (30 days)"),
], ids=["unknown-method", "every-and-dates", "start-after-end", "date-out-of-reach"])
def test_a_bad_schedule_fails_at_dag_build(series, expected):
    scenes = pd.DataFrame({"site": ["s"] * 3, "sensor": ["m"] * 3, "date": COARSE})
    with pytest.raises(ConfigError, match="^" + expected.replace("(", r"\(").replace(")", r"\)")):
        check_series(config_with(series), scenes, "scenes.tsv")


def test_quality_band_of_a_prediction():
    state = np.array([[0, 1], [2, NAN]], dtype=np.float32)
    days = np.array([[0, 4], [6, NAN]], dtype=np.float32)
    fine_refs = np.ones((2, 1, 4, 4), dtype=np.float32)
    fine_refs[0, 0, 0, 0] = NAN  # the reference 8 days away is cloudy there: the one 16 days away is the nearest
    fine_refs[:, 0, 0, 1] = NAN  # both cloudy
    quality = quality_band(state, days, fine_refs, [8, 16], ratio=2)
    assert quality.shape == (3, 4, 4)
    np.testing.assert_array_equal(quality[0, :2, :2], 0)
    np.testing.assert_array_equal(quality[1, 2:, :2], 6)
    assert quality[2, 0, 0] == 16 and quality[2, 0, 1] == NO_CLEAR_REFERENCE and quality[2, 1, 1] == 8
    assert np.isnan(quality[:, 2:, 2:]).all() and np.isfinite(quality[:, :2]).all()  # NaN only outside the data


def test_rmse_of_observed_and_of_filled_coarse_pixels_apart():
    truth = np.zeros((2, 1, 3), dtype=np.float32)
    prediction = np.array([[[0.1, 0.3, 0.4]], [[0.1, 0.3, 0.4]]], dtype=np.float32)
    rows = rmse_by_coarse_state(truth, prediction, np.array([[0, 1, 2]], dtype=np.float32))
    scores = {row["metric"]: row["value"] for row in rows}
    assert scores["rmse_coarse_observed"] == pytest.approx(0.1)
    assert scores["rmse_coarse_filled"] == pytest.approx(np.sqrt((0.09 + 0.16) / 2))
    none = rmse_by_coarse_state(truth, prediction, np.zeros((1, 3), dtype=np.float32))
    assert np.isnan(none[1]["value"])


def test_pixels_a_classical_method_leaves_empty_take_the_coarse_image_not_nan():
    """Under a cloud of its fine reference ESTARFM has no clear fine pixel to read: the prediction there is the
    date's coarse image upsampled (known answer: a constant coarse image gives that constant), NaN only where the
    coarse pixel itself is missing."""
    from stfusion.predict import fill_from_coarse

    coarse = np.full((2, 4, 4), 0.3, dtype=np.float32)
    coarse[:, 3, 3] = np.nan  # outside the data
    prediction = np.full((2, 8, 8), 0.1, dtype=np.float32)
    prediction[:, :2, :2] = np.nan  # under the reference's cloud
    prediction[:, 6:, 6:] = np.nan  # where the coarse pixel is missing
    filled, from_coarse = fill_from_coarse(prediction, coarse, 2)
    np.testing.assert_allclose(filled[:, :2, :2], 0.3, rtol=1e-6)
    assert from_coarse.sum() == 4 and np.isnan(filled[:, 6:, 6:]).all() and np.isfinite(filled[:, :6, :6]).all()
