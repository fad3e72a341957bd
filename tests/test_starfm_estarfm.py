"""STARFM and ESTARFM (SPEC 3.5): known answers, agreement with the per-pixel float64 references, blocks
equal to a single block at odd sizes, NaN handling and input errors. Small scenes; well under 30 s."""
from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch
from stfusion.classical.reference.starfm_estarfm import bilinear, estarfm_reference, starfm_reference
from stfusion.classical.estarfm import estarfm
from stfusion.classical.similar import upsample_bilinear
from stfusion.classical.starfm import starfm

estarfm_module = importlib.import_module("stfusion.classical.estarfm")  # the module, not the function of that name
starfm_module = importlib.import_module("stfusion.classical.starfm")  # the module, not the function of that name

# (name, function, reference, K): STARFM with one and with two pairs, ESTARFM (two pairs)
METHODS = [("starfm-1", starfm, starfm_reference, 1), ("starfm-2", starfm, starfm_reference, 2),
           ("estarfm", estarfm, estarfm_reference, 2)]
IDS = [m[0] for m in METHODS]


def block_mean(fine: np.ndarray, ratio: int) -> np.ndarray:
    """The coarse image of a fine one: the mean of each ratio x ratio block, (..., H, W) -> (..., H/r, W/r)."""
    *lead, h, w = fine.shape
    return fine.reshape(*lead, h // ratio, ratio, w // ratio, ratio).mean((-3, -1))


def fields(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A map of four cover classes (0-3) in irregular fields."""
    y, x = np.mgrid[0:height, 0:width]
    field = np.sin(y / 4.0 + rng.uniform(0, 6)) + np.cos(x / 3.0 + rng.uniform(0, 6))
    field += rng.normal(0, 0.4, (height, width))
    return np.digitize(field, [-0.8, 0.0, 0.8])


def landscape(height: int, width: int, bands: int, ratio: int, seed: int):
    """Fields with their own reflectance and phenology at three dates (ref 1, ref 2, t1).

    Returns fine (3, C, H, W) and coarse (3, C, H/r, W/r) float32; coarse is the block mean plus a small
    sensor bias, and the fine images carry a little noise, so that similar pixels are not all equal.
    """
    rng = np.random.default_rng(seed)
    classes = fields(height, width, rng)
    base = rng.uniform(0.05, 0.45, (4, bands))
    dates = [base * rng.uniform(0.7, 1.3, (4, bands)) for _ in range(3)]
    fine = np.stack([d[classes].transpose(2, 0, 1) for d in dates]) + rng.normal(0, 0.01, (3, bands, height, width))
    coarse = block_mean(fine, ratio) + 0.01
    return fine.astype(np.float32), coarse.astype(np.float32)


def with_gaps(fine: np.ndarray, coarse: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A cloud in the first fine reference, a lone masked pixel in the second, a missing coarse pixel at ref 2."""
    fine, coarse = fine.copy(), coarse.copy()
    fine[0, :, 3:7, 4:10] = np.nan
    fine[1, 1, 15, 17] = np.nan
    coarse[1, :, 4, 1] = np.nan
    return fine, coarse


def run(function, fine, coarse, k, ratio, **options):
    """Predict date 3 from the first k pairs."""
    return function(fine[:k], coarse[:k], coarse[2], ratio, **options)


pytestmark = pytest.mark.usefixtures("one_thread")  # conftest.one_thread


@pytest.mark.parametrize("name,function,reference,k", METHODS, ids=IDS)
def test_uniform_change_is_recovered(name, function, reference, k) -> None:
    """Coarse and fine shift by +0.05 everywhere between the (first) reference and t1: so does the prediction."""
    ratio = 4
    if function is starfm:
        # flat fields, far apart in every band: the similar pixels of a pixel are its own field
        table = np.array([[0.05, 0.10, 0.20], [0.15, 0.25, 0.08], [0.30, 0.05, 0.35], [0.45, 0.40, 0.15]])
        first = table[fields(24, 32, np.random.default_rng(1))].transpose(2, 0, 1)
        fine = np.stack([first, first + 0.02, first]).astype(np.float32)
        coarse = block_mean(fine, ratio)
    else:
        # sensors that agree (fine = the resampled coarse) make V = 1; ESTARFM then moves by the coarse change
        _, coarse = landscape(24, 32, 3, ratio, seed=1)
        coarse[1] = coarse[0] + 0.03
        fine = bilinear(coarse, ratio).astype(np.float32)
    coarse[2] = coarse[0] + 0.05
    out = run(function, fine, coarse, k, ratio, window=11)
    np.testing.assert_allclose(out, fine[0] + 0.05, atol=2e-6)


@pytest.mark.parametrize("name,function,reference,k", METHODS, ids=IDS)
def test_no_change_returns_the_reference(name, function, reference, k) -> None:
    """coarse t1 == coarse at the first reference: the prediction is the first fine reference."""
    fine, coarse = landscape(24, 32, 3, 4, seed=2)
    coarse[2] = coarse[0]
    out = run(function, fine, coarse, k, 4, window=11)
    np.testing.assert_allclose(out, fine[0], atol=1e-6)


@pytest.mark.parametrize("window", [7, 51])
@pytest.mark.parametrize("name,function,reference,k", METHODS, ids=IDS)
def test_matches_the_per_pixel_reference(name, function, reference, k, window) -> None:
    """Same numbers and the same NaNs as the float64 per-pixel reference, gaps included (51 > the scene)."""
    fine, coarse = with_gaps(*landscape(24, 24, 3, 4, seed=3))
    fast = run(function, fine, coarse, k, 4, window=window)
    slow = reference(fine[:k], coarse[:k], coarse[2], 4, window=window)
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(slow))
    assert np.isfinite(fast).mean() > 0.85
    np.testing.assert_allclose(fast, slow, atol=1e-4, equal_nan=True)


@pytest.mark.parametrize("height,width,ratio,window,blocks", [(37, 53, 1, 15, [8, 16, 24]), (48, 80, 16, 51, [16, 32])])
@pytest.mark.parametrize("name,function,reference,k", METHODS, ids=IDS)
def test_blocks_equal_one_block(name, function, reference, k, height, width, ratio, window, blocks) -> None:
    """Any block size gives the single-block result, on sizes that are no multiple of the block or window."""
    fine, coarse = landscape(height, width, 3, ratio, seed=4)
    fine[0, :, 5:9, 6:11] = np.nan
    whole = run(function, fine, coarse, k, ratio, window=window, block=4096)
    assert whole.shape == (3, height, width) and whole.dtype == np.float32
    assert np.isfinite(whole).mean() > 0.9
    for block in blocks:
        np.testing.assert_allclose(run(function, fine, coarse, k, ratio, window=window, block=block), whole,
                                   atol=1e-5, equal_nan=True, err_msg=f"block {block}")


@pytest.mark.parametrize("window", [5, 51])
@pytest.mark.parametrize("name,function,reference,k", METHODS, ids=IDS)
def test_the_tensor_path_equals_the_compiled_kernel(name, function, reference, k, window, monkeypatch) -> None:
    """The whole-block tensor sums (the GPU path, run here on CPU) give the numba kernel's result, gaps included,
    across several blocks."""
    fine, coarse = with_gaps(*landscape(36, 44, 3, 4, seed=6))
    compiled = run(function, fine, coarse, k, 4, window=window, block=16)
    module = starfm_module if function is starfm else estarfm_module
    monkeypatch.setattr(module, "compiled_sums", module.swept_sums)
    swept = run(function, fine, coarse, k, 4, window=window, block=16)
    np.testing.assert_array_equal(np.isnan(compiled), np.isnan(swept))
    np.testing.assert_allclose(compiled, swept, atol=1e-5, equal_nan=True)


@pytest.mark.parametrize("name,function,reference,k", METHODS, ids=IDS)
def test_masked_pixels_are_neither_used_nor_predicted(name, function, reference, k) -> None:
    """NaN exactly where no pair can predict (fine masked in every reference, or coarse t1 missing);
    a pixel masked in one of two references is predicted from the other; no NaN leaks to the neighbours."""
    fine, coarse = landscape(32, 32, 3, 4, seed=5)
    fine[:, :, 10:13, 20:24] = np.nan           # masked in every reference
    fine[0, :, 2:6, 2:6] = np.nan               # masked in the first reference only
    coarse[2, :, 6, 1] = np.nan                 # coarse t1 missing: fine rows 24-27, columns 4-7 (and the
    # bilinear reach: the fine pixels whose interpolation gives it a non-zero weight, rows 22-29, columns 2-9)
    out = run(function, fine, coarse, k, 4, window=9)
    expected = np.zeros((32, 32), bool)
    expected[10:13, 20:24] = True
    expected[22:30, 2:10] = True
    if k == 1:
        expected[2:6, 2:6] = True
    np.testing.assert_array_equal(np.isnan(out), np.broadcast_to(expected, out.shape))


def test_resampling_is_bilinear_with_a_nan_rule() -> None:
    """The block resampling equals the per-pixel bilinear formula, odd ratio and missing pixels included."""
    coarse = np.random.default_rng(6).uniform(0, 1, (2, 5, 7)).astype(np.float32)
    coarse[1, 2, 3] = np.nan
    for ratio in (1, 3, 4):
        fast = upsample_bilinear(torch.from_numpy(coarse), ratio).numpy()
        np.testing.assert_allclose(fast, bilinear(coarse, ratio), atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("change,message", [
    (lambda f, c, t: (f[:0], c[:0], t), "1 or 2 reference pair"),
    (lambda f, c, t: (np.concatenate([f, f[:1]]), np.concatenate([c, c[:1]]), t), "1 or 2 reference pair"),
    (lambda f, c, t: (f, c[:, :, :-1], t), "coarse_refs of shape"),
    (lambda f, c, t: (f, c, t[:2]), "coarse_t1 of shape"),
    (lambda f, c, t: (f[:, :, :-1], c, t), "coarse_refs of shape"),
    (lambda f, c, t: (f[0], c, t), "expects fine_refs"),
])
def test_bad_inputs_are_refused(change, message) -> None:
    fine, coarse = landscape(16, 16, 3, 4, seed=7)
    with pytest.raises(ValueError, match=message):
        starfm(*change(fine[:2], coarse[:2], coarse[2]), 4)


def test_estarfm_needs_two_pairs_and_odd_windows() -> None:
    fine, coarse = landscape(16, 16, 3, 4, seed=7)
    with pytest.raises(ValueError, match="ESTARFM takes 2 reference pair"):
        estarfm(fine[:1], coarse[:1], coarse[2], 4)
    with pytest.raises(ValueError, match="window must be an odd"):
        estarfm(fine[:2], coarse[:2], coarse[2], 4, window=50)
    with pytest.raises(ValueError, match="window must be an odd"):
        starfm(fine[:1], coarse[:1], coarse[2], 4, window=0)


def test_estarfm_folded_dates_equal_the_whole_method() -> None:
    """One ``prepare_estarfm`` serves several dates: each equals ESTARFM swept in full on that date, for a date
    whose coarse image has a gap (its blocks run the whole method) and for dates without (the folded weights);
    a series folded block by block into a given ``out`` (no fold kept) equals them."""
    fine, coarse = with_gaps(*landscape(32, 40, 3, 4, seed=3))
    state = estarfm_module.prepare_estarfm(fine[:2], coarse[:2], 4, window=11, block=16)
    gap = coarse[2].copy()
    gap[:, 1, 2] = np.nan
    dates = np.stack([coarse[2], gap, 1.1 * coarse[0]])
    unkept = estarfm_module.prepare_estarfm(fine[:2], coarse[:2], 4, window=11, block=16, fold=False)
    block_by_block = estarfm_module.predict_estarfm_dates(unkept, dates, out=np.full((3, *fine.shape[1:]), -1.0))
    for date, series_date in zip(dates, block_by_block):
        whole = estarfm_module.run_in_blocks(state.block_function, fine[:2], coarse[:2], date, 4, 11, 16, "cpu")
        folded = estarfm_module.predict_estarfm(state, date)
        np.testing.assert_array_equal(np.isnan(folded), np.isnan(whole))
        np.testing.assert_allclose(folded, whole, atol=1e-5, equal_nan=True)
        np.testing.assert_array_equal(series_date, folded)  # each block folded once for the series, not kept


def test_prepared_references_refuse_a_date_of_another_shape() -> None:
    fine, coarse = landscape(16, 16, 2, 4, seed=0)
    state = starfm_module.prepare_starfm(fine[:1], coarse[:1], 4, window=5)
    with pytest.raises(ValueError, match="coarse_t1 of shape"):
        starfm_module.predict_starfm(state, coarse[2][:, :2])


@pytest.mark.parametrize("sums", ["compiled_sums", "swept_sums"])
def test_starfm_dates_in_one_sweep_equal_each_date_alone(sums, monkeypatch) -> None:
    """``predict_starfm_dates`` shares each window's reference tests among dates (two per sweep here, so three
    dates take two sweeps): every date, one with a gap in its coarse image among them, equals its own prediction."""
    monkeypatch.setattr(starfm_module, "DATES_PER_SWEEP", 2)
    fine, coarse = with_gaps(*landscape(24, 28, 3, 4, seed=5))
    gap = coarse[2].copy()
    gap[:, 1, 2] = np.nan
    dates = np.stack([coarse[2], gap, 1.1 * coarse[0]])
    monkeypatch.setattr(starfm_module, "compiled_sums", getattr(starfm_module, sums))
    state = starfm_module.prepare_starfm(fine[:2], coarse[:2], 4, window=7, block=12)
    together = starfm_module.predict_starfm_dates(state, dates)
    for date, predicted in zip(dates, together):
        alone = starfm_module.predict_starfm(state, date)
        np.testing.assert_array_equal(np.isnan(predicted), np.isnan(alone))
        np.testing.assert_allclose(predicted, alone, atol=1e-5, equal_nan=True)
    with pytest.raises(ValueError, match=r"coarse_dates must be \(n, C"):
        starfm_module.predict_starfm_dates(state, dates[0])
