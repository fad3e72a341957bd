"""One prediction job per reference group (issue 28): stfusion.predict_group predicts each date as the method does
alone, and evaluate charges a date its share of the job."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from stfusion.benchmarks import date_usage
from stfusion.classical import starfm as starfm_module
from stfusion.errors import InputDataError
from stfusion.methods import FUSION, of_family
from stfusion.predict import nearest_reference
from stfusion.predict_group import DateInputs, Group, chunks, predict_group
from test_starfm_estarfm import landscape, with_gaps

RATIO = 4
REFERENCES = ["2021-06-01", "2021-06-17"]
DATES = ["2021-06-05", "2021-06-09", "2021-06-13"]
OPTIONS = {"starfm": {"window": 7}, "estarfm": {"window": 7}, "fsdaf": {"half_window": 4, "n_similar": 6}}

pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.one_thread


def scene(pairs: int):
    """A group's reference pairs (with gaps) and three dates' coarse images, each with its own change, and their
    fill info (observed everywhere)."""
    fine, coarse = with_gaps(*landscape(24, 28, 3, RATIO, seed=5))
    dates = [coarse[2], 1.05 * coarse[2], coarse[0] + 0.02]
    fill = np.zeros((2, *coarse.shape[-2:]), np.float32)
    return fine[:pairs], coarse[:pairs], {d: DateInputs(t1, fill) for d, t1 in zip(DATES, dates)}


def test_every_classical_method_has_its_prepared_form():
    assert of_family(FUSION, "classical") == tuple(OPTIONS)
    for name in OPTIONS:
        prepare, predict = FUSION[name].load_prepared()
        assert prepare.__name__ == f"prepare_{name}" and predict.__module__ == prepare.__module__
    assert FUSION["starfm"].dates_at_once == starfm_module.DATES_PER_SWEEP


@pytest.mark.parametrize("model", list(OPTIONS))
def test_a_group_predicts_each_date_as_the_method_does_alone(model, monkeypatch):
    """The preparation once, then the dates (STARFM two per call here, so three dates take two calls): each equals
    the one-shot function on that date, to 1e-5, and the NaN it leaves takes the coarse image, with a finite quality
    band there (coarse state and days as any pixel's, no clear reference)."""
    monkeypatch.setitem(FUSION, "starfm", dataclasses.replace(FUSION["starfm"], dates_at_once=2))
    pairs = FUSION[model].references[-1]
    fine, coarse, inputs = scene(pairs)
    group = Group("mine", {"model": model, "options": OPTIONS[model]}, fine, coarse, REFERENCES[:pairs])
    done = list(predict_group(group, DATES, inputs.__getitem__, prediction={"block": 12}))
    assert [d.date for d in done] == DATES
    alone_function = FUSION[model].load()
    for date in done:
        alone = alone_function(fine, coarse, inputs[date.date].coarse_t1, RATIO, block=12, **OPTIONS[model])
        holes = np.isnan(alone).any(axis=0)
        np.testing.assert_allclose(date.prediction[:, ~holes], alone[:, ~holes], atol=1e-5)
        assert np.isfinite(date.prediction).all() and date.from_coarse == holes.sum()
        assert (date.quality[2][holes] == -1).all() and np.isfinite(date.quality[:, holes]).all()  # not NaN there


def test_a_naive_group_gives_each_date_its_reference_days_and_quality():
    fine, coarse, inputs = scene(2)
    group = Group("nearest", {"model": "nearest_reference"}, fine, coarse, REFERENCES)
    done = list(predict_group(group, DATES, inputs.__getitem__, prediction={}))
    # 2021-06-13 is 4 days from the second reference: its fine image, where the first reference's cloud is not
    first, second = (np.isfinite(fine[k]).all(axis=0) for k in (0, 1))
    np.testing.assert_array_equal(done[2].prediction[:, second], fine[1][:, second])
    assert np.unique(done[2].quality[2][first & second]).tolist() == [4.0]
    # 2021-06-05 is 4 days from the first reference: its fine image where it is clear
    assert np.unique(done[0].quality[2][first & second]).tolist() == [4.0]
    nearest = nearest_reference(fine, None, None, RATIO, [4, 12])
    np.testing.assert_array_equal(done[0].prediction[:, first], nearest[:, first])


def test_a_group_stops_at_a_date_the_method_leaves_empty(monkeypatch):
    """A method that gives NaN wherever the inputs are valid stops the job, naming the method, the date and the fix."""
    fine, coarse, inputs = scene(2)
    monkeypatch.setattr("stfusion.predict.nearest_reference", lambda fine, *args: np.full_like(fine[0], np.nan))
    group = Group("nearest", {"model": "nearest_reference"}, fine, coarse, REFERENCES)
    with pytest.raises(InputDataError, match=r"the nearest prediction of 2021-06-05 is NaN at all \d+ pixels where its "
                                             r"inputs are valid: .*check its options, `methods.nearest` in the config"):
        list(predict_group(group, DATES, inputs.__getitem__, prediction={}))


def test_chunks_keep_the_order_and_the_rest():
    assert list(chunks(iter(range(5)), 2)) == [[0, 1], [2, 3], [4]]


def test_a_date_is_charged_its_share_of_its_group_job(tmp_path):
    benchmark = tmp_path / "predict.tsv"
    benchmark.write_text("s\th:m:s\tmax_rss\tmax_vms\n12.0\t0:00:12\t300.0\t900.0\n")
    assert date_usage(benchmark, 3) == {"job_seconds": 4.0, "job_max_rss_mb": 300.0}


def test_a_deep_group_predicts_each_date_as_its_tiled_prediction_alone(tmp_path):
    """An untrained EDCSTFN (its speed and sharing do not depend on its weights) loaded once: the dates predicted
    together, its fine references encoded once per tile (tiling.predict_scene_dates), each equal to the date's own
    tiled prediction to 1e-5, NaN where the date's coarse image is."""
    import torch

    from stfusion.artefacts import save_model
    from stfusion.models import build_model
    from stfusion.predict import prepare_inputs
    from stfusion.tiling import predict_scene

    torch.manual_seed(0)
    fine, coarse, inputs = scene(2)
    model = build_model("edcstfn", channels=3, ratio=RATIO)
    weights = tmp_path / "weights.pt"
    save_model(weights, "edcstfn", 3, RATIO, {}, model.state_dict())
    tiles = {"tile": 16, "overlap": 4, "batch_pixels": 2 * 16 * 16}
    group = Group("deep", {"model": "edcstfn"}, fine, coarse, REFERENCES)
    done = list(predict_group(group, DATES, inputs.__getitem__, prediction=tiles, weights=str(weights)))
    for date in done:
        fine_in, coarse_in, t1, missing = prepare_inputs(fine, coarse, inputs[date.date].coarse_t1, RATIO)
        alone = predict_scene(model, fine_in, coarse_in, t1, tiles["tile"], tiles["overlap"], "cpu",
                              tiles["batch_pixels"])
        np.testing.assert_allclose(date.prediction, np.where(missing, np.nan, alone), atol=1e-5)
