"""FSDAF (Zhu et al. 2016): known answers, the per-pixel reference, blocks, odd sizes, NaN and bad input."""
from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch
from stfusion.classical.reference.fsdaf import fsdaf_reference
from stfusion.classical.fsdaf import class_map, class_samples, fsdaf
from stfusion.classical.unmixing import kmeans

fsdaf_module = importlib.import_module("stfusion.classical.fsdaf")  # the module, not the function of that name

SIZES = [(48, 80, 16), (36, 45, 3), (20, 23, 1)]  # height, width, ratio: none a multiple of the window or block


def coarse_mean(image: np.ndarray, ratio: int) -> np.ndarray:
    bands, height, width = image.shape
    return image.reshape(bands, height // ratio, ratio, width // ratio, ratio).mean(axis=(2, 4))


def land_cover(height: int, width: int, classes: int, rng: np.random.Generator) -> np.ndarray:
    """A class per pixel: random Voronoi cells, so coarse pixels hold every mixture of classes."""
    cells = max(classes, height * width // 120)
    centre_y, centre_x = rng.uniform(0, height, cells), rng.uniform(0, width, cells)
    yy, xx = np.mgrid[:height, :width]
    cell = np.argmin((yy[..., None] - centre_y) ** 2 + (xx[..., None] - centre_x) ** 2, axis=-1)
    return np.concatenate([np.arange(classes), rng.integers(0, classes, cells - classes)])[cell]


def scene(height: int, width: int, ratio: int, seed: int = 0, bands: int = 4, masked: bool = False):
    """fine_refs (1, C, H, W), coarse_refs (1, C, h, w), coarse_t1 (C, h, w): three classes that change by their
    own amounts, a patch of land-cover change, sensor noise; with ``masked``, NaN in all three images."""
    rng = np.random.default_rng(seed)
    cover = land_cover(height, width, 3, rng)
    spectra, change = rng.uniform(0.1, 0.6, (3, bands)), rng.uniform(-0.08, 0.08, (3, bands))
    fine = spectra[cover].transpose(2, 0, 1) + rng.normal(0, 0.01, (bands, height, width))
    later = fine + change[cover].transpose(2, 0, 1) + rng.normal(0, 0.005, fine.shape)
    yy, xx = np.mgrid[:height, :width]
    later[:, (yy - height / 3) ** 2 + (xx - width / 2) ** 2 < (min(height, width) / 5) ** 2] = spectra[0, :, None] + 0.1
    coarse_ref = coarse_mean(fine, ratio) + rng.normal(0, 0.003, (bands, height // ratio, width // ratio))
    coarse_t1 = coarse_mean(later, ratio) + rng.normal(0, 0.003, coarse_ref.shape)
    if masked:
        fine[:, (yy - 2 * height / 3) ** 2 + (xx - width / 4) ** 2 < (min(height, width) / 6) ** 2] = np.nan
        fine[1, height // 2, width - 2] = np.nan
        coarse_ref[:, 0, -1] = np.nan
        coarse_t1[2, -1, 0] = np.nan
    return fine[None].astype(np.float32), coarse_ref[None].astype(np.float32), coarse_t1.astype(np.float32)


def unpredictable(fine_refs: np.ndarray, coarse_refs: np.ndarray, coarse_t1: np.ndarray, ratio: int) -> np.ndarray:
    coarse = np.isnan(coarse_refs[0]).any(axis=0) | np.isnan(coarse_t1).any(axis=0)
    return np.isnan(fine_refs[0]).any(axis=0) | np.repeat(np.repeat(coarse, ratio, 0), ratio, 1)


@pytest.mark.parametrize("height, width, ratio", SIZES)
def test_uniform_change_is_recovered(height, width, ratio):
    fine_refs, _, _ = scene(height, width, ratio)
    coarse_ref = coarse_mean(fine_refs[0], ratio)
    prediction = fsdaf(fine_refs, coarse_ref[None], coarse_ref + 0.05, ratio)
    np.testing.assert_allclose(prediction, fine_refs[0] + 0.05, atol=1e-5)


@pytest.mark.parametrize("height, width, ratio", SIZES)
def test_no_change_returns_the_reference(height, width, ratio):
    fine_refs, coarse_refs, _ = scene(height, width, ratio)
    prediction = fsdaf(fine_refs, coarse_refs, coarse_refs[0], ratio)
    np.testing.assert_allclose(prediction, fine_refs[0], atol=1e-6)


def test_each_class_gets_its_own_change():
    """Two classes change by different amounts; no coarse pixel shows either change alone, unmixing finds both."""
    rng = np.random.default_rng(3)
    height, width, ratio = 64, 64, 8
    cover = land_cover(height, width, 2, rng)
    fine = np.array([[0.2, 0.25, 0.3], [0.5, 0.45, 0.55]])[cover].transpose(2, 0, 1)
    fine = fine + rng.normal(0, 0.01, fine.shape)
    change = np.array([[0.06, 0.03, -0.02], [-0.04, 0.05, 0.01]])[cover].transpose(2, 0, 1)
    coarse_ref, coarse_t1 = coarse_mean(fine, ratio), coarse_mean(fine + change, ratio)
    prediction = fsdaf(fine[None].astype(np.float32), coarse_ref[None].astype(np.float32),
                       coarse_t1.astype(np.float32), ratio, n_classes=2)
    np.testing.assert_allclose(prediction, fine + change, atol=1e-5)


@pytest.mark.parametrize("height, width, ratio, options", [
    (48, 80, 16, {}), (36, 45, 3, {}), (20, 23, 1, {}),
    (36, 45, 3, {"half_window": 4, "n_similar": 7, "n_pure": 5, "n_classes": 3, "data_range": None}),
    (48, 80, 16, {"half_window": 9, "data_range": (0.15, 0.5)}),  # predictions of steps 5 and 6 clipped
])
def test_matches_the_per_pixel_reference(height, width, ratio, options):
    fine_refs, coarse_refs, coarse_t1 = scene(height, width, ratio, seed=height, masked=True)
    prediction = fsdaf(fine_refs, coarse_refs, coarse_t1, ratio, seed=5, **options)
    n_classes = options.get("n_classes", 4)
    centres = torch.as_tensor(kmeans(class_samples(fine_refs[0]), n_classes, seed=5))  # the classes fsdaf fits
    labels = class_map(torch.as_tensor(fine_refs[0], dtype=torch.float64), centres).numpy()
    expected = fsdaf_reference(fine_refs[0], coarse_refs[0], coarse_t1, ratio, labels, n_classes,
                               **{k: v for k, v in options.items() if k != "n_classes"})
    np.testing.assert_array_equal(np.isnan(prediction), np.isnan(expected))
    np.testing.assert_allclose(prediction, expected, atol=1e-4, equal_nan=True)


@pytest.mark.parametrize("height, width, ratio, blocks", [(48, 80, 16, (16, 32)), (36, 45, 3, (9, 21)),
                                                          (20, 23, 1, (5, 8))])
def test_blocks_equal_a_single_block(height, width, ratio, blocks):
    inputs = scene(height, width, ratio, seed=1, masked=True)
    whole = fsdaf(*inputs, ratio, block=10_000, half_window=6)
    for block in blocks:
        np.testing.assert_allclose(fsdaf(*inputs, ratio, block=block, half_window=6), whole, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("height, width, ratio", SIZES)
def test_nan_exactly_where_a_pixel_cannot_be_predicted(height, width, ratio):
    inputs = scene(height, width, ratio, seed=2, masked=True)
    prediction = fsdaf(*inputs, ratio)
    assert prediction.shape == inputs[2].shape[:1] + inputs[0].shape[-2:] and prediction.dtype == np.float32
    expected = np.broadcast_to(unpredictable(*inputs, ratio), prediction.shape)
    np.testing.assert_array_equal(np.isnan(prediction), expected)


def test_everything_masked_gives_nan():
    fine_refs, coarse_refs, coarse_t1 = scene(20, 20, 4)
    assert np.isnan(fsdaf(fine_refs, coarse_refs, np.full_like(coarse_t1, np.nan), 4)).all()


@pytest.mark.parametrize("change, message", [
    (lambda f, c, t: (np.concatenate([f, f]), np.concatenate([c, c]), t), "1 reference pair"),
    (lambda f, c, t: (f[0], c, t), r"\(K, C, H, W\)"),
    (lambda f, c, t: (f, c[:, :, :-1], t), "coarse_refs of shape"),
    (lambda f, c, t: (f, c, t[:2]), "coarse_t1 of shape"),
])
def test_wrong_shapes_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        fsdaf(*change(*scene(24, 24, 4)), 4)


@pytest.mark.parametrize("options", [{"n_similar": 0}, {"half_window": 0}, {"n_classes": 2.5}, {"n_pure": -1},
                                     {"data_range": (1.0, 0.0)}, {"data_range": [0.0]}])
def test_wrong_parameters_are_refused(options):
    with pytest.raises(ValueError, match=next(iter(options))):
        fsdaf(*scene(24, 24, 4), 4, **options)


def test_no_complete_coarse_pixel_is_refused():
    fine_refs, coarse_refs, coarse_t1 = scene(24, 24, 4)
    fine_refs[0, :, ::4, ::4] = np.nan  # a gap in every coarse pixel: nothing to unmix from
    with pytest.raises(ValueError, match="cannot unmix"):
        fsdaf(fine_refs, coarse_refs, coarse_t1, 4)


@pytest.mark.parametrize("height, width, ratio", SIZES)
def test_the_tensor_path_equals_the_compiled_kernel(height, width, ratio, monkeypatch):
    """Step 6 by whole-window tensor operations (the GPU path, run here on CPU) equals the numba kernel, across
    blocks and gaps (on noisy images without ties, which the two paths may break differently)."""
    fine_refs, coarse_refs, coarse_t1 = scene(height, width, ratio, seed=7, masked=True)
    compiled = fsdaf(fine_refs, coarse_refs, coarse_t1, ratio, block=32)
    monkeypatch.setattr(fsdaf_module, "compiled_similar_change",
                        lambda *arguments, similar: fsdaf_module.swept_similar_change(*arguments))
    swept = fsdaf(fine_refs, coarse_refs, coarse_t1, ratio, block=32)
    np.testing.assert_allclose(compiled, swept, atol=1e-5, equal_nan=True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_gpu_equals_cpu():
    inputs = scene(48, 80, 16, seed=4, masked=True)
    np.testing.assert_allclose(fsdaf(*inputs, 16, device="cuda"), fsdaf(*inputs, 16), atol=1e-5, equal_nan=True)


def test_shared_similar_pixels_equal_fresh_ones_date_by_date():
    """One ``prepare_fsdaf`` serves several dates: each equals a run that finds step 6's similar pixels afresh,
    for a date whose coarse image has a gap (which removes similar pixels) and for dates without; so does a series
    predicted block by block from a state that keeps no block."""
    fine_refs, coarse_refs, coarse_t1 = scene(36, 45, 3, seed=2)
    state = fsdaf_module.prepare_fsdaf(fine_refs, coarse_refs, 3, block=16, half_window=4, n_similar=6)
    fresh = state._replace(blocks=[shared._replace(similar=None) for shared in state.blocks])
    gap = coarse_t1.copy()
    gap[:, 3, 4] = np.nan
    dates = np.stack([coarse_t1, gap, coarse_refs[0] + 0.02])
    unkept = fsdaf_module.prepare_fsdaf(fine_refs, coarse_refs, 3, block=16, half_window=4, n_similar=6,
                                        keep_blocks=False)
    for date, series_date in zip(dates, fsdaf_module.predict_fsdaf_dates(unkept, dates)):
        shared = fsdaf_module.predict_fsdaf(state, date)
        np.testing.assert_array_equal(shared, fsdaf_module.predict_fsdaf(fresh, date))
        np.testing.assert_array_equal(series_date, shared)  # each block's part made once for the series, not kept
