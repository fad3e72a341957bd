"""SPEC 4 metrics: hand-computed cases, float64 transcriptions of the formulas, skimage SSIM,
pytorch-msssim MS-SSIM, NaN handling and the classic bugs."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from stfusion import metrics as M

skimage_metrics = pytest.importorskip("skimage.metrics")
torch = pytest.importorskip("torch")
pytorch_msssim = pytest.importorskip("pytorch_msssim")

C1, C2 = (0.01 * 1.0) ** 2, (0.03 * 1.0) ** 2


def smooth_pair(shape, seed=0, noise=0.05, sigma=2.0):
    """Spatially correlated reflectance-like truth and a noisy, blurred prediction, float64 in 0..1."""
    rng = np.random.default_rng(seed)
    truth = 0.1 + 0.3 * gaussian_filter(rng.random(shape), (0, sigma, sigma)) + 0.02 * rng.random(shape)
    pred = gaussian_filter(truth, (0, 0.7, 0.7)) + noise * rng.standard_normal(shape)
    return truth, np.clip(pred, 0.0, 1.0)


# ------------------------------------------------------------------------- hand-computed tiny cases
def test_band_metrics_hand_computed():
    truth = np.array([[[0.1, 0.2, 0.3, 0.4]]])          # (1 band, 1 row, 4 cols)
    pred = np.array([[[0.1, 0.2, 0.3, 0.8]]])           # errors 0, 0, 0, 0.4
    np.testing.assert_allclose(M.rmse(truth, pred), [0.2])            # sqrt(0.16 / 4)
    np.testing.assert_allclose(M.mae(truth, pred), [0.1])             # 0.4 / 4
    np.testing.assert_allclose(M.bias(truth, pred), [0.1])
    np.testing.assert_allclose(M.psnr(truth, pred), [10 * math.log10(1 / 0.04)])  # 13.9794 dB
    np.testing.assert_allclose(M.psnr(truth, pred), [13.979400086720376])

    pred2 = np.array([[[0.2, 0.1, 0.4, 0.3]]])          # errors +0.1 -0.1 +0.1 -0.1
    np.testing.assert_allclose(M.rmse(truth, pred2), [0.1])
    np.testing.assert_allclose(M.mae(truth, pred2), [0.1])
    np.testing.assert_allclose(M.bias(truth, pred2), [0.0], atol=1e-15)
    np.testing.assert_allclose(M.psnr(truth, pred2), [20.0])          # 10 log10(1 / 0.01)
    np.testing.assert_allclose(M.psnr(truth, pred2, data_range=2.0), [20.0 + 20 * math.log10(2)])


def test_cc_hand_computed():
    t = np.array([[[1.0, 2.0, 3.0, 4.0]], [[1.0, 2.0, 3.0, 4.0]]])
    p = np.array([[[2.0, 4.0, 6.0, 8.0]], [[4.0, 3.0, 2.0, 1.0]]])
    np.testing.assert_allclose(M.cc(t, p), [1.0, -1.0])
    # da = (-1, 0, 1), db = (-1, 1, 0): sum da db = 1, sum da^2 = sum db^2 = 2 -> 0.5
    np.testing.assert_allclose(M.cc(np.array([[[1.0, 2.0, 3.0]]]), np.array([[[1.0, 3.0, 2.0]]])), [0.5])
    assert np.isnan(M.cc(np.full((1, 1, 4), 0.3), np.array([[[0.1, 0.2, 0.3, 0.4]]])))[0]  # constant: undefined


def test_sam_hand_computed_and_l2_norm():
    # pixel 1: (1, 0) vs (1, 1) -> 45 deg; pixel 2: (0, 1) vs (1, 0) -> 90 deg; mean 67.5 deg
    truth = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])      # (2 bands, 1 row, 2 cols): spectra (1, 0), (0, 1)
    pred = np.array([[[1.0, 1.0]], [[1.0, 0.0]]])       # spectra (1, 1), (1, 0)
    assert M.sam(truth, pred) == pytest.approx(67.5)
    assert M.sam(truth, pred, degrees=False) == pytest.approx(3 * math.pi / 8)
    # L2 not L1: (1, 1) vs (1, 0) has cos 1 / sqrt(2) -> 45 deg; L1 norms would give cos 1/2 -> 60 deg
    one = M.sam(np.array([[[1.0]], [[1.0]]]), np.array([[[1.0]], [[0.0]]]))
    assert one == pytest.approx(45.0) and abs(one - 60.0) > 1
    # scale invariance, and a cosine rounded above 1 is clipped (no NaN)
    y = np.array([[[0.1]], [[0.2]], [[0.3]]])
    assert M.sam(y, 3 * y) == pytest.approx(0.0, abs=1e-6)
    assert M.sam(y, y) == 0.0
    # a zero-norm pixel is excluded, not counted as 0 or 90 deg
    t0 = np.concatenate([truth, np.zeros((2, 1, 1))], axis=2)
    p0 = np.concatenate([pred, np.array([[[0.5]], [[0.5]]])], axis=2)
    assert M.sam(t0, p0) == pytest.approx(67.5)
    assert np.isnan(M.sam(np.zeros((2, 1, 1)), np.ones((2, 1, 1))))


def test_ergas_constant_offset_closed_form():
    # truth band means 0.2 and 0.4, prediction = truth + 0.02 -> RMSE_b = 0.02, ratios 0.1 and 0.05
    truth = np.stack([np.full((4, 5), 0.2), np.full((4, 5), 0.4)])
    pred = truth + 0.02
    r = 30 / 480
    expected = 100 * r * math.sqrt((0.1 ** 2 + 0.05 ** 2) / 2)      # 0.4941058844...
    assert M.ergas(truth, pred, r) == pytest.approx(expected, rel=1e-12)
    assert M.ergas(truth, pred, r) == pytest.approx(0.49410588440130926, rel=1e-12)
    # the ratio is squared: not 100 r mean(ratio), nor 100 r sqrt(mean(ratio))
    assert abs(M.ergas(truth, pred, r) - 100 * r * 0.075) > 1e-3
    assert abs(M.ergas(truth, pred, r) - 100 * r * math.sqrt(0.075)) > 1e-3
    # h/l (fine / coarse), not l/h: one band, 10 % error, ratio 1/16 -> 0.625
    assert M.ergas(truth[:1], pred[:1], 1 / 16) == pytest.approx(0.625)
    with pytest.raises(ValueError):
        M.ergas(truth, pred, 0.0)


def test_ssim_constant_images_closed_form():
    # zero local variance everywhere: SSIM = (2ab + C1) / (a^2 + b^2 + C1) * (C2 / C2)
    a, b = 0.2, 0.4
    truth, pred = np.full((1, 21, 23), a), np.full((1, 21, 23), b)
    expected = (2 * a * b + C1) / (a * a + b * b + C1)              # 0.1601 / 0.2001 = 0.80009995
    np.testing.assert_allclose(M.ssim(truth, pred), [expected], rtol=1e-12)
    np.testing.assert_allclose(M.ssim(truth, pred), [0.1601 / 0.2001], rtol=1e-12)
    # MS-SSIM: cs = 1 at every scale, the last scale's SSIM is the same expression
    big_t, big_p = np.full((1, 176, 176), a), np.full((1, 176, 176), b)
    np.testing.assert_allclose(M.ms_ssim(big_t, big_p), [expected ** 0.1333], rtol=1e-12)


def test_ndvi_hand_computed():
    truth = np.array([[[0.1, 0.2]], [[0.5, 0.2]]])      # red band 0, nir band 1
    pred = np.array([[[0.1, 0.2]], [[0.3, 0.2]]])
    np.testing.assert_allclose(M.ndvi(truth, red=0, nir=1), [[2 / 3, 0.0]])   # 0.4/0.6, 0/0.4
    np.testing.assert_allclose(M.ndvi(pred, red=0, nir=1), [[0.5, 0.0]])
    err = M.ndvi_error(truth, pred, red=0, nir=1)                               # errors -1/6, 0
    assert err["rmse"] == pytest.approx(math.sqrt((1 / 36) / 2))
    assert err["mae"] == pytest.approx(1 / 12)
    assert err["bias"] == pytest.approx(-1 / 12)
    assert np.isnan(M.ndvi(np.zeros((2, 1, 1)), 0, 1)).all()                   # 0/0 undefined


# --------------------------------------------------------- float64 transcriptions on random data
def test_band_metrics_match_transcription():
    rng = np.random.default_rng(1)
    t = rng.random((4, 13, 17))
    p = np.clip(t + 0.05 * rng.standard_normal(t.shape) + 0.01, 0, 1)
    for b in range(4):
        d = (p[b] - t[b]).ravel()
        assert M.rmse(t, p)[b] == pytest.approx(math.sqrt(sum(x * x for x in d) / d.size), rel=1e-12)
        assert M.mae(t, p)[b] == pytest.approx(sum(abs(x) for x in d) / d.size, rel=1e-12)
        assert M.bias(t, p)[b] == pytest.approx(sum(d) / d.size, rel=1e-10)
        assert M.cc(t, p)[b] == pytest.approx(np.corrcoef(t[b].ravel(), p[b].ravel())[0, 1], rel=1e-12)
        mse = sum(x * x for x in d) / d.size
        assert M.psnr(t, p)[b] == pytest.approx(10 * math.log10(1.0 / mse), rel=1e-12)


def _sam_transcription(t, p):
    angles = []
    for i in range(t.shape[1]):
        for j in range(t.shape[2]):
            y, yh = t[:, i, j], p[:, i, j]
            num = sum(a * b for a, b in zip(y, yh))
            den = math.sqrt(sum(a * a for a in y)) * math.sqrt(sum(b * b for b in yh))
            angles.append(math.acos(max(-1.0, min(1.0, num / den))))
    return sum(angles) / len(angles)


def _ergas_transcription(t, p, r):
    terms = []
    for b in range(t.shape[0]):
        d = (p[b] - t[b]).ravel()
        rm = math.sqrt(sum(x * x for x in d) / d.size)
        terms.append((rm / (sum(t[b].ravel()) / d.size)) ** 2)
    return 100 * r * math.sqrt(sum(terms) / len(terms))


def test_spectral_metrics_match_transcription():
    rng = np.random.default_rng(2)
    t = 0.05 + rng.random((5, 9, 11))
    p = np.abs(t + 0.1 * rng.standard_normal(t.shape))
    assert M.sam(t, p, degrees=False) == pytest.approx(_sam_transcription(t, p), rel=1e-12)
    assert M.sam(t, p) == pytest.approx(math.degrees(_sam_transcription(t, p)), rel=1e-12)
    assert M.ergas(t, p, 30 / 480) == pytest.approx(_ergas_transcription(t, p, 30 / 480), rel=1e-12)


def _gauss2d():
    ii, jj = np.mgrid[-5:6, -5:6].astype(np.float64)
    g = np.exp(-(ii ** 2 + jj ** 2) / (2 * 1.5 ** 2))
    return g / g.sum()


def _ssim_bruteforce(x, y, valid):
    """Per-window weighted statistics (weights: Gaussian x validity, renormalised), averaged over
    valid centres whose 11 x 11 window lies inside the image."""
    g = _gauss2d()
    vals = []
    for i in range(5, x.shape[0] - 5):
        for j in range(5, x.shape[1] - 5):
            if not valid[i, j]:
                continue
            sl = (slice(i - 5, i + 6), slice(j - 5, j + 6))
            w = g * valid[sl]
            w = w / w.sum()
            xs, ys = np.where(valid[sl], x[sl], 0.0), np.where(valid[sl], y[sl], 0.0)
            mx, my = (w * xs).sum(), (w * ys).sum()
            vx, vy = (w * (xs - mx) ** 2).sum(), (w * (ys - my) ** 2).sum()
            vxy = (w * (xs - mx) * (ys - my)).sum()
            vals.append((2 * mx * my + C1) * (2 * vxy + C2) / ((mx * mx + my * my + C1) * (vx + vy + C2)))
    return float(np.mean(vals))


def test_ssim_equals_skimage_without_nan():
    t, p = smooth_pair((3, 40, 53), seed=3)
    ours = M.ssim(t, p, data_range=1.0)
    for b in range(3):
        ref = skimage_metrics.structural_similarity(t[b], p[b], gaussian_weights=True, sigma=1.5,
                                                    use_sample_covariance=False, data_range=1.0)
        assert ours[b] == pytest.approx(ref, abs=1e-6)
        assert ours[b] == pytest.approx(_ssim_bruteforce(t[b], p[b], np.ones_like(t[b], bool)), abs=1e-10)
    # the data range matters (C1, C2) and is passed through
    ref2 = skimage_metrics.structural_similarity(t[0], p[0], gaussian_weights=True, sigma=1.5,
                                                 use_sample_covariance=False, data_range=0.5)
    assert M.ssim(t, p, data_range=0.5)[0] == pytest.approx(ref2, abs=1e-6)


def test_ssim_with_nan_matches_bruteforce():
    t, p = smooth_pair((2, 26, 29), seed=4)
    t[0, 8:12, 10:15] = np.nan          # a cloud in the truth
    p[0, 2, 3] = np.inf                 # a bad prediction pixel
    p[1, 15:, 20:] = np.nan
    ours = M.ssim(t, p)
    for b in range(2):
        valid = np.isfinite(t[b]) & np.isfinite(p[b])
        assert ours[b] == pytest.approx(_ssim_bruteforce(t[b], p[b], valid), abs=1e-10)
    assert np.isnan(M.ssim(np.full((1, 10, 30), 0.2), np.full((1, 10, 30), 0.2)))[0]  # < 11 px
    # constant images with holes: local statistics still constant -> closed form
    a, b = 0.2, 0.4
    ct, cp = np.full((1, 30, 30), a), np.full((1, 30, 30), b)
    ct[0, 10:14, 12:20] = np.nan
    np.testing.assert_allclose(M.ssim(ct, cp), [(2 * a * b + C1) / (a * a + b * b + C1)], rtol=1e-12)


def _torch_msssim(t, p, dtype, float64_window=False):
    """pytorch-msssim, bands as the batch (one value per band). Its default window is built in float32
    (sum 1 - 3e-8, which moves SSIM by ~1e-6 through the variance cancellation), so the float64
    comparison passes an exactly normalised float64 Gaussian as ``win``."""
    x = torch.from_numpy(t[:, None]).to(dtype)
    y = torch.from_numpy(p[:, None]).to(dtype)
    win = None
    if float64_window:
        g = np.exp(-np.arange(-5.0, 6.0) ** 2 / (2 * 1.5 ** 2))
        win = torch.from_numpy(g / g.sum()).to(dtype).view(1, 1, 1, 11)
    return pytorch_msssim.ms_ssim(x, y, data_range=1.0, size_average=False, win=win).double().numpy()


def test_ms_ssim_matches_pytorch_msssim():
    t, p = smooth_pair((2, 176, 192), seed=5)
    ours = M.ms_ssim(t, p, data_range=1.0)
    assert ours is not None and ours.shape == (2,)
    np.testing.assert_allclose(ours, _torch_msssim(t, p, torch.float64, float64_window=True), atol=1e-10)
    np.testing.assert_allclose(ours, _torch_msssim(t, p, torch.float64), atol=1e-5)   # its float32 window
    np.testing.assert_allclose(ours, _torch_msssim(t, p, torch.float32), atol=1e-4)
    assert np.all((ours > 0.3) & (ours < 1.0))


def test_ms_ssim_size_limit_and_nan():
    t, p = smooth_pair((1, 160, 300), seed=6)
    assert M.ms_ssim(t, p) is None                                  # 160 < (11 - 1) * 16 + 1
    t, p = smooth_pair((1, 161, 170), seed=6)
    v = M.ms_ssim(t, p)
    assert v is not None and np.isfinite(v).all()                  # 161 -> 81 -> 41 -> 21 -> 11
    # constant images with holes: every cs is 1 -> closed form
    a, b = 0.2, 0.4
    ct, cp = np.full((1, 176, 176), a), np.full((1, 176, 176), b)
    ct[0, 40:70, 50:60] = np.nan
    cp[0, 100, 100] = np.nan
    np.testing.assert_allclose(M.ms_ssim(ct, cp), [((2 * a * b + C1) / (a * a + b * b + C1)) ** 0.1333],
                               rtol=1e-12)
    # a small hole moves the value only a little, and NaN in truth or in prediction is the same mask
    t, p = smooth_pair((1, 176, 176), seed=7)
    base = M.ms_ssim(t, p)[0]
    th, ph = t.copy(), p.copy()
    th[0, 50:54, 60:66] = np.nan
    ph[0, 50:54, 60:66] = np.nan
    assert M.ms_ssim(th, p)[0] == pytest.approx(M.ms_ssim(t, ph)[0], abs=1e-14)
    assert np.isfinite(M.ms_ssim(th, p)[0]) and abs(M.ms_ssim(th, p)[0] - base) < 0.01


# ------------------------------------------------------------------------------------ NaN handling
def test_nan_pixels_ignored_band_metrics():
    rng = np.random.default_rng(8)
    t = rng.random((3, 10, 12))
    p = np.clip(t + 0.1 * rng.standard_normal(t.shape), 0, 1)
    t[0, 2:4, 3:7] = np.nan
    p[1, 5, :] = np.nan
    p[2, 0, 0] = np.inf
    t[2, 9, 11] = -np.inf
    valid = np.isfinite(t) & np.isfinite(p)
    for fn in (M.rmse, M.mae, M.bias, M.cc, M.psnr):
        got = fn(t, p)
        for b in range(3):
            removed = fn(t[b][valid[b]][None, None], p[b][valid[b]][None, None])[0]
            assert got[b] == pytest.approx(removed, rel=1e-12), fn.__name__
            assert np.isfinite(got[b])
    # a NaN in one band does not remove that pixel from the other bands' band metrics
    assert M.rmse(t, p)[1] != pytest.approx(
        M.rmse(t[1][valid.all(0)][None, None], p[1][valid.all(0)][None, None])[0], rel=1e-12)


def test_nan_pixels_ignored_spectral_metrics():
    rng = np.random.default_rng(9)
    t = 0.05 + rng.random((4, 9, 10))
    p = np.abs(t + 0.1 * rng.standard_normal(t.shape))
    t[0, 1:3, 1:4] = np.nan             # one band only: the whole pixel leaves SAM and ERGAS
    p[3, 6, :] = np.nan
    t[2, 8, 9] = np.inf
    keep = (np.isfinite(t) & np.isfinite(p)).all(axis=0)
    tr, pr = t[:, keep][:, None, :], p[:, keep][:, None, :]     # (bands, 1, n) with those pixels removed
    assert M.sam(t, p) == pytest.approx(M.sam(tr, pr), rel=1e-12)
    assert M.sam(t, p) == pytest.approx(math.degrees(_sam_transcription(tr, pr)), rel=1e-12)
    assert M.ergas(t, p, 0.0625) == pytest.approx(M.ergas(tr, pr, 0.0625), rel=1e-12)
    assert M.ergas(t, p, 0.0625) == pytest.approx(_ergas_transcription(tr, pr, 0.0625), rel=1e-12)
    all_nan = np.full((2, 3, 3), np.nan)
    assert np.isnan(M.sam(all_nan, all_nan)) and np.isnan(M.ergas(all_nan, all_nan, 0.1))
    assert np.isnan(M.rmse(all_nan, all_nan)).all()


# ------------------------------------------------------------------------------------ classic bugs
def test_no_integer_cast_and_float64():
    truth = np.array([[[0.4, 0.4]]], dtype=np.float32)      # int() of these is 0
    pred = np.array([[[0.6, 0.6]]], dtype=np.float32)
    r = M.rmse(truth, pred)
    assert r.dtype == np.float64 and r[0] == pytest.approx(0.2, rel=1e-6)
    assert M.sam(np.array([[[0.4]], [[0.9]]]), np.array([[[0.9]], [[0.4]]])) > 40   # not 0 / NaN
    # integer inputs (DN) are computed as float, not truncated
    np.testing.assert_allclose(M.rmse(np.array([[[1, 2]]]), np.array([[[2, 4]]])), [math.sqrt(2.5)])
    np.testing.assert_allclose(M.mae(np.array([[[1, 2]]], np.uint16), np.array([[[2, 1]]], np.uint16)), [1.0])


def test_identical_images():
    t, _ = smooth_pair((3, 176, 176), seed=10)
    assert np.all(M.rmse(t, t) == 0) and np.all(M.mae(t, t) == 0) and np.all(M.bias(t, t) == 0)
    np.testing.assert_allclose(M.cc(t, t), 1.0, rtol=1e-12)
    np.testing.assert_allclose(M.ssim(t, t), 1.0, rtol=1e-12)
    np.testing.assert_allclose(M.ms_ssim(t, t), 1.0, rtol=1e-12)
    assert np.all(np.isposinf(M.psnr(t, t)))
    assert M.sam(t, t) == pytest.approx(0.0, abs=1e-6)
    assert M.ergas(t, t, 0.0625) == 0.0


def test_shape_mismatch_raises():
    with pytest.raises(ValueError):
        M.rmse(np.zeros((2, 3, 3)), np.zeros((2, 3, 4)))
    np.testing.assert_allclose(M.rmse(np.zeros((3, 3)), np.ones((3, 3))), [1.0])   # 2-D = one band


# ---------------------------------------------------------------------------------------- evaluate
def test_evaluate_rows():
    t, p = smooth_pair((3, 176, 180), seed=11)
    rows = M.evaluate(t, p, ["green", "red", "nir"], 30 / 480, red=1, nir=2)
    assert all(set(r) == {"band", "metric", "value"} and isinstance(r["value"], float) for r in rows)
    table = {(r["band"], r["metric"]): r["value"] for r in rows}
    assert len(table) == len(rows)
    for metric in ("rmse", "mae", "bias", "cc", "psnr", "ssim", "ms_ssim"):
        per = getattr(M, metric)(t, p)
        for name, v in zip(["green", "red", "nir"], per):
            assert table[(name, metric)] == pytest.approx(v)
        assert table[("all", metric)] == pytest.approx(np.mean(per))
    assert table[("all", "sam_deg")] == pytest.approx(M.sam(t, p, degrees=True))
    assert table[("all", "ergas")] == pytest.approx(M.ergas(t, p, 30 / 480))
    assert table[("all", "ndvi_rmse")] == pytest.approx(M.ndvi_error(t, p, 1, 2)["rmse"])
    assert table[("all", "ndvi_mae")] == pytest.approx(M.ndvi_error(t, p, 1, 2)["mae"])

    small = M.evaluate(t[:, :40, :40], p[:, :40, :40], ["g", "r", "n"], 0.0625)
    metrics = {r["metric"] for r in small}
    assert "ms_ssim" not in metrics and "ndvi_rmse" not in metrics
    assert {"rmse", "mae", "bias", "cc", "psnr", "ssim", "sam_deg", "ergas"} <= metrics
    with pytest.raises(ValueError):
        M.evaluate(t, p, ["only", "two"], 0.0625)


def test_each_metric_record_names_its_best_value_rightly():
    """A metric record's ``best`` decides the report's bold and marks: the truth itself must score the best value
    of every metric and a noisier prediction a worse one (a higher-is-better metric recorded as lowest-is-best,
    or the other way round, fails here)."""
    truth, pred = smooth_pair((4, 170, 170), noise=0.02)
    noisier = truth + 3 * (pred - truth) + 0.01  # also biased
    rows = {name: {r["metric"]: r["value"] for r in M.evaluate(truth, image, list("abcd"), 16, red=2, nir=3)
                   if r["band"] == "all"} for name, image in (("pred", pred), ("noisier", noisier))}
    assert list(rows["pred"]) == list(M.METRICS)  # every record applies to a 4-band 170 px image with red and NIR
    for name, metric in M.METRICS.items():
        good, bad = rows["pred"][name], rows["noisier"][name]
        if metric.best == "highest":
            assert good > bad, name
        elif metric.best == "lowest":
            assert good < bad, name
        else:
            assert metric.best == "zero" and abs(good) < abs(bad), name
    for table in (M.FUSION_TABLE, M.CUBE_TABLE):
        assert set(table) <= set(M.METRICS)
    scores = M.image_scores(truth, pred, M.CUBE_TABLE)
    assert list(scores) == list(M.CUBE_TABLE)
    assert scores["rmse"] == pytest.approx(rows["pred"]["rmse"]) and scores["sam_deg"] == pytest.approx(rows["pred"]["sam_deg"])


def test_the_reports_bold_and_headers_follow_the_metric_records():
    import pandas as pd

    from stfusion.report.tables import best_mask, header, number

    frame = pd.DataFrame({"rmse": [0.02, 0.03], "ssim": [0.8, 0.9], "bias": [-0.001, 0.002], "seconds": [5.0, 1.0],
                          "dates": [3, 3]}, index=["a", "b"])
    best = best_mask(frame)
    assert best.to_dict("list") == {"rmse": [True, False], "ssim": [False, True], "bias": [True, False],
                                    "seconds": [False, True], "dates": [False, False]}
    assert [header(c) for c in frame] == ["RMSE ↓", "SSIM ↑", "bias →0", "run time (s) ↓", "held-out dates"]
    assert number("psnr", 31.234) == "31.23" and number("rmse", 0.02) == "0.0200" and number("ssim", float("nan")) == "–"


def test_the_readmes_added_metric_is_scored_and_ranked(monkeypatch):
    """The docs' "Adding a metric" example as written: its function and record added to stfusion.metrics,
    every score has it, per band and band-averaged, with a known answer."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs/developer/adding-a-metric.md").read_text()
    block = text.split("```python\n")[1].split("```")[0]
    function, record = block.split("\n\n")
    namespace = vars(M).copy()
    exec(function, namespace)
    monkeypatch.setattr(M, "relative_error", namespace["relative_error"], raising=False)
    name, entry = record.split("#")[0].strip().rstrip(",").split(":", 1)
    monkeypatch.setitem(M.METRICS, eval(name), eval(entry, vars(M)))
    truth = np.stack([np.full((8, 8), 0.2), np.full((8, 8), 0.5)])
    rows = M.evaluate(truth, truth * 1.1, ["a", "b"], 16)
    values = {r["band"]: r["value"] for r in rows if r["metric"] == "rel_err"}
    assert values == pytest.approx({"a": 0.1, "b": 0.1, "all": 0.1})
