"""The stacked ensemble and `model: best` (stfusion.ensemble, issue 26): the simplex least squares on known answers
and against SciPy's SLSQP, moments that add over windows and dates, leave-one-date-out weights that never see the
date they are applied to, the NaN rule of the combination, and the best member."""
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from stfusion.ensemble.best import best_member, leave_one_date_out_best
from stfusion.ensemble.stacking import (combine, leave_one_date_out, moments, simplex_least_squares, simplex_weights,
                                        stacking_weights)
from stfusion.errors import InputDataError

BANDS = ["red", "nir"]


def members(count: int, samples: int = 500, seed: int = 0) -> np.ndarray:
    """Random member predictions (members, bands, samples) of two bands."""
    return np.random.default_rng(seed).uniform(0, 0.5, (count, len(BANDS), samples))


def test_truth_equal_to_one_member_gives_it_all_the_weight():
    p = members(3)
    np.testing.assert_allclose(stacking_weights(p, p[1], BANDS), [[0, 1, 0], [0, 1, 0]], atol=1e-12)


def test_a_mixture_of_two_members_is_recovered_and_a_third_gets_nothing():
    p = members(3)
    truth = 0.3 * p[0] + 0.7 * p[1]
    np.testing.assert_allclose(stacking_weights(p, truth, BANDS), [[0.3, 0.7, 0], [0.3, 0.7, 0]], atol=1e-9)


def test_a_member_worse_everywhere_gets_no_weight():
    rng = np.random.default_rng(1)
    truth = rng.uniform(0, 0.5, (2, 400))
    good = truth + rng.normal(0, 0.01, truth.shape)
    worse = truth + 3 * (good - truth)  # the same errors three times over: further from the truth at every pixel
    weights = stacking_weights(np.stack([worse, good]), truth, BANDS)
    np.testing.assert_allclose(weights, [[0, 1], [0, 1]], atol=1e-12)


def test_two_unbiased_members_with_independent_errors_share_the_weight_by_their_precision():
    rng = np.random.default_rng(2)
    truth = rng.uniform(0, 0.5, (2, 200_000))
    p = np.stack([truth + rng.normal(0, 0.01, truth.shape), truth + rng.normal(0, 0.02, truth.shape)])
    np.testing.assert_allclose(stacking_weights(p, truth, BANDS), [[0.8, 0.2], [0.8, 0.2]], atol=0.01)  # 1/s^2


def test_collinear_members_share_their_weight_and_the_fit_is_not_worse():
    p = members(2)
    duplicated = np.stack([p[0], p[0], p[1]])  # the first member twice: the minimum is a segment
    truth = 0.4 * p[0] + 0.6 * p[1]
    np.testing.assert_allclose(stacking_weights(duplicated, truth, BANDS), [[0.2, 0.2, 0.6]] * 2, atol=1e-9)
    mean = np.stack([p[0], p[1], 0.5 * (p[0] + p[1])])  # the third is the mean of the first two
    weights = stacking_weights(mean, truth, BANDS)
    np.testing.assert_allclose(np.einsum("bm,mbn->bn", weights, mean), truth, atol=1e-9)
    assert (weights >= 0).all() and np.allclose(weights.sum(axis=1), 1)


@pytest.mark.parametrize("seed", range(5))
def test_the_exact_fit_is_never_worse_than_slsqp(seed):
    rng = np.random.default_rng(seed)
    count = 6
    p = rng.uniform(0, 0.5, (count, 1, 300)) + rng.normal(0, 0.05, (1, 1, 300))  # correlated members
    truth = rng.uniform(0, 0.5, (1, 300))
    m = moments(p, truth)
    gram, cross, energy = m.gram[0], m.cross[0], m.energy[0]
    exact = simplex_least_squares(gram, cross, energy)
    assert exact.min() >= 0 and exact.sum() == pytest.approx(1)
    error = lambda w: w @ gram @ w - 2 * w @ cross + energy  # noqa: E731
    slsqp = minimize(error, np.full(count, 1 / count), method="SLSQP", bounds=[(0, 1)] * count,
                     constraints={"type": "eq", "fun": lambda w: w.sum() - 1}, options={"ftol": 1e-14}).x
    assert error(exact) <= error(slsqp) + 1e-9 * energy
    np.testing.assert_allclose(exact, slsqp, atol=1e-4)


def test_nan_samples_are_left_out_of_the_fit():
    """The truth is the second member wherever both have a value; the first is perfect only where the second is
    missing: those samples, and those without a truth, do not count."""
    p = members(2)
    truth = p[1].copy()
    p[1, :, :50] = np.nan
    p[0, :, :50] = truth[:, :50]
    truth[:, 50:60] = np.nan
    np.testing.assert_allclose(stacking_weights(p, truth, BANDS), [[0, 1]] * 2, atol=1e-12)


def test_an_empty_band_names_it():
    p = members(2)
    truth = p[0].copy()
    truth[1] = np.nan
    with pytest.raises(InputDataError, match="band nir: no pixel of the fitting dates where the truth and every"):
        stacking_weights(p, truth, BANDS)


def test_moments_add_over_windows_and_subtract_for_a_left_out_date():
    p, truth = members(3, 400), members(1, 400, seed=5)[0]
    whole = moments(p, truth)
    halves = moments(p[..., :150], truth[:, :150]) + moments(p[..., 150:], truth[:, 150:])
    for a, b in zip((whole.gram, whole.cross, whole.energy, whole.count), (halves.gram, halves.cross, halves.energy,
                                                                           halves.count)):
        np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(simplex_weights(whole - moments(p[..., 150:], truth[:, 150:]), BANDS),
                               stacking_weights(p[..., :150], truth[:, :150], BANDS))


def test_leave_one_date_out_weights_never_see_their_date():
    """Three dates: on two the truth is the first member, on one the second; each date's weights are those of the
    others, and every date's together give the all-dates fit."""
    p = {date: members(2, seed=i) for i, date in enumerate(["2021-04-03", "2021-05-01", "2021-06-26"])}
    truth = {"2021-04-03": p["2021-04-03"][0], "2021-05-01": p["2021-05-01"][0], "2021-06-26": p["2021-06-26"][1]}
    weights = leave_one_date_out({d: moments(p[d], truth[d]) for d in p}, BANDS)
    np.testing.assert_allclose(weights.of("2021-06-26"), [[1, 0]] * 2, atol=1e-12)  # fitted on the two others
    others = [moments(p[d], truth[d]).relative() for d in ("2021-04-03", "2021-06-26")]
    np.testing.assert_allclose(weights.of("2021-05-01"), simplex_weights(others[0] + others[1], BANDS), atol=1e-12)
    assert 0 < weights.all_dates[0, 1] < 1
    np.testing.assert_array_equal(weights.of("2021-07-24"), weights.all_dates)  # not a fitting date: all of them
    with pytest.raises(ValueError, match="needs 2 fitting dates or more"):
        leave_one_date_out({"2021-04-03": moments(p["2021-04-03"], truth["2021-04-03"])}, BANDS)


def test_a_date_with_large_errors_does_not_decide_the_weights_of_the_others():
    """The first member is twice as precise on one date, the second on the other, whose errors are ten times larger:
    pooled pixels follow that date (weights 1/s^2: 0.2, 0.8); relative to each date's scale, both weigh alike."""
    rng = np.random.default_rng(3)
    truth = {d: rng.uniform(0, 0.5, (2, 100_000)) for d in ("2021-04-03", "2021-05-01")}
    noise = {"2021-04-03": (0.01, 0.02), "2021-05-01": (0.2, 0.1)}
    p = {d: np.stack([truth[d] + rng.normal(0, s, truth[d].shape) for s in noise[d]]) for d in truth}
    pooled = stacking_weights(np.concatenate(list(p.values()), -1), np.concatenate(list(truth.values()), -1), BANDS)
    np.testing.assert_allclose(pooled, [[0.2, 0.8]] * 2, atol=0.01)
    weights = leave_one_date_out({d: moments(p[d], truth[d]) for d in p}, BANDS)
    np.testing.assert_allclose(weights.all_dates, [[0.5, 0.5]] * 2, atol=0.02)


def test_the_combination_renormalises_over_the_members_with_a_value():
    a, b = np.full((2, 2, 2), 0.1, np.float32), np.full((2, 2, 2), 0.4, np.float32)
    a[:, 0, 0] = np.nan  # a missing at one pixel, b at another, both at a third
    b[:, 0, 1] = np.nan
    a[:, 1, 1] = b[:, 1, 1] = np.nan
    fused = combine(np.stack([a, b]), np.array([[0.25, 0.75], [1.0, 0.0]]))
    assert fused.dtype == np.float32
    np.testing.assert_allclose(fused[0], [[0.4, 0.1], [0.325, np.nan]], rtol=1e-6)
    np.testing.assert_allclose(fused[1], [[np.nan, 0.1], [0.1, np.nan]])  # b has no weight in band 2: never used


def test_the_best_member_is_the_lowest_score_and_is_chosen_without_its_date():
    assert best_member({"fsdaf": 0.02, "estarfm": 0.0224, "starfm": np.nan}) == "fsdaf"
    assert best_member({"estarfm": 0.02, "fsdaf": 0.02}) == "estarfm"  # a tie: the first given
    rmse = pd.DataFrame({"fsdaf": [0.010, 0.030, 0.020], "estarfm": [0.020, 0.010, 0.025]},
                        index=["2021-04-03", "2021-05-01", "2021-06-26"])
    weights = leave_one_date_out_best(rmse, ["estarfm", "fsdaf"], bands=2)
    np.testing.assert_array_equal(weights.all_dates, [[1, 0], [1, 0]])  # estarfm 0.0183 against fsdaf 0.02
    np.testing.assert_array_equal(weights.of("2021-05-01"), [[0, 1], [0, 1]])  # without it fsdaf is better
    np.testing.assert_array_equal(weights.of("2021-04-03"), [[1, 0], [1, 0]])
