"""Accuracy metrics of a fused image against the reference, and one record per metric (``METRICS``: its function,
which value is best, label, digits, unit) that scoring, every summary and the report read.

Inputs are ``(bands, rows, cols)`` arrays of reflectance (a 2-D array is read as one band). Everything
is computed in float64; integer inputs are converted to float64, never the other way round.

Valid pixels. A pixel is *invalid* where truth or prediction is not finite (NaN, +-inf):

- band metrics (RMSE, MAE, bias, CC, PSNR, SSIM, MS-SSIM) use, band by band, the pixels where that
  band of truth and of prediction are both finite;
- spectral metrics (SAM, ERGAS, including the per-band RMSE and truth mean inside ERGAS) use only the
  pixels where truth and prediction are finite in *all* bands, so that every band is averaged over
  the same set of pixels.

For RMSE, MAE, bias, CC, PSNR, SAM and ERGAS this is exactly "the same metric on the image with those
pixels removed". SSIM and MS-SSIM are spatial, so there the NaN strategy is (documented at ``ssim``):
local statistics by normalised convolution over the valid pixels, SSIM map averaged over valid
centres. A metric with no valid pixel (or undefined, such as CC of a constant band) is NaN.

Formula sources: SSIM, Wang, Bovik, Sheikh & Simoncelli 2004, IEEE TIP 13(4) 600-612; MS-SSIM, Wang,
Simoncelli & Bovik 2003, Proc. 37th Asilomar Conf. 1398-1402; SAM, Yuhas, Goetz & Boardman 1992,
Summaries 3rd JPL Airborne Geoscience Workshop 147-149; ERGAS, Wald 2002, Data Fusion: Definitions
and Architectures, Presses de l'Ecole des Mines (and Wald 2000, Proc. Fusion of Earth Data 99-103).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy.ndimage import correlate1d

SSIM_WIN = 11  # Gaussian window side (Wang et al. 2004)
SSIM_SIGMA = 1.5
SSIM_K1, SSIM_K2 = 0.01, 0.03
MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)  # Wang et al. 2003, Section 3.2
MSSSIM_MIN_SIDE = (SSIM_WIN - 1) * 2 ** (len(MSSSIM_WEIGHTS) - 1) + 1  # 161: 11 px left at the 5th scale


# ----------------------------------------------------------------------------------------- helpers
def _pair(truth: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays as float64 (bands, rows, cols), same shape."""
    t = np.asarray(truth, dtype=np.float64)
    p = np.asarray(pred, dtype=np.float64)
    if t.ndim == 2:
        t = t[None]
    if p.ndim == 2:
        p = p[None]
    if t.ndim != 3 or p.ndim != 3:
        raise ValueError(f"expected (bands, rows, cols) arrays, got shapes {np.shape(truth)} and {np.shape(pred)}")
    if t.shape != p.shape:
        raise ValueError(f"truth and prediction shapes differ: {t.shape} vs {p.shape}")
    return t, p


def _band_valid(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per band: truth and prediction finite (bands, rows, cols)."""
    return np.isfinite(t) & np.isfinite(p)


def _spectral_valid(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per pixel: truth and prediction finite in every band (rows, cols)."""
    return _band_valid(t, p).all(axis=0)


def _per_band(t: np.ndarray, p: np.ndarray, fn) -> np.ndarray:
    """Apply ``fn(truth_values, pred_values)`` to each band's valid pixels (1-D arrays)."""
    valid = _band_valid(t, p)
    return np.array([fn(t[b][valid[b]], p[b][valid[b]]) for b in range(t.shape[0])], dtype=np.float64)


def _mean_sq(d: np.ndarray) -> float:
    return float(np.mean(d * d)) if d.size else np.nan


# ------------------------------------------------------------------------------------ band metrics
def rmse(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Root mean square error per band: sqrt(mean((pred - truth)^2)) over the band's valid pixels."""
    t, p = _pair(truth, pred)
    return np.sqrt(_per_band(t, p, lambda a, b: _mean_sq(b - a)))


def mae(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Mean absolute error per band: mean(|pred - truth|) over the band's valid pixels."""
    t, p = _pair(truth, pred)
    return _per_band(t, p, lambda a, b: float(np.mean(np.abs(b - a))) if a.size else np.nan)


def bias(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Mean error per band: mean(pred - truth) over the band's valid pixels (positive: over-prediction)."""
    t, p = _pair(truth, pred)
    return _per_band(t, p, lambda a, b: float(np.mean(b - a)) if a.size else np.nan)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 2:
        return np.nan
    da, db = a - a.mean(), b - b.mean()
    denom = np.sqrt(np.sum(da * da) * np.sum(db * db))
    return float(np.sum(da * db) / denom) if denom > 0 else np.nan


def cc(truth: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Pearson correlation coefficient per band over the band's valid pixels.

    cc = sum((y - mean y)(y^ - mean y^)) / sqrt(sum((y - mean y)^2) sum((y^ - mean y^)^2)); NaN when
    either band is constant over its valid pixels (undefined) or fewer than two pixels are valid.
    """
    t, p = _pair(truth, pred)
    return _per_band(t, p, _pearson)


def psnr(truth: np.ndarray, pred: np.ndarray, data_range: float = 1.0) -> np.ndarray:
    """Peak signal-to-noise ratio per band in dB: 10 log10(data_range^2 / MSE); +inf when MSE is 0.

    ``data_range`` is the range of the data (1.0 for reflectance 0..1), stated with the result.
    """
    if not data_range > 0:
        raise ValueError(f"data_range must be positive, got {data_range}")
    t, p = _pair(truth, pred)
    mse = _per_band(t, p, lambda a, b: _mean_sq(b - a))
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(float(data_range) ** 2 / mse)


# ------------------------------------------------------------------------------------ SSIM family
def _gauss_window() -> np.ndarray:
    """1-D Gaussian, 11 taps, sigma 1.5, unit sum (skimage/scipy and pytorch-msssim use the same)."""
    x = np.arange(SSIM_WIN, dtype=np.float64) - SSIM_WIN // 2
    g = np.exp(-(x * x) / (2.0 * SSIM_SIGMA ** 2))
    return g / g.sum()


def _filter_valid(img: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Separable Gaussian correlation kept only where the whole window lies inside the image."""
    out = correlate1d(img, g, axis=0, mode="constant", cval=0.0)
    out = correlate1d(out, g, axis=1, mode="constant", cval=0.0)
    r = SSIM_WIN // 2
    return out[r:-r, r:-r]


def _ssim_cs(x: np.ndarray, y: np.ndarray, m: np.ndarray, data_range: float) -> tuple[float, float]:
    """Mean SSIM and mean contrast-structure (cs) of one 2-D band with validity mask ``m``.

    Local weighted statistics by normalised convolution over valid pixels (weights g*m, divided by
    their sum); maps averaged over the pixels that are valid and whose full window is inside the image.
    """
    if min(x.shape) < SSIM_WIN:
        return np.nan, np.nan
    g = _gauss_window()
    w = m.astype(np.float64)
    x0 = np.where(m, x, 0.0)
    y0 = np.where(m, y, 0.0)
    r = SSIM_WIN // 2
    centre = m[r:-r, r:-r]
    if not centre.any():
        return np.nan, np.nan
    wsum = _filter_valid(w, g)[centre]

    def local_mean(a: np.ndarray) -> np.ndarray:  # Gaussian-weighted mean over the window's valid pixels
        return _filter_valid(a, g)[centre] / wsum

    ux, uy = local_mean(x0), local_mean(y0)
    vx = local_mean(x0 * x0) - ux * ux
    vy = local_mean(y0 * y0) - uy * uy
    vxy = local_mean(x0 * y0) - ux * uy
    c1 = (SSIM_K1 * data_range) ** 2
    c2 = (SSIM_K2 * data_range) ** 2
    cs_map = (2.0 * vxy + c2) / (vx + vy + c2)
    ssim_map = (2.0 * ux * uy + c1) / (ux * ux + uy * uy + c1) * cs_map
    return float(np.mean(ssim_map)), float(np.mean(cs_map))


def ssim(truth: np.ndarray, pred: np.ndarray, data_range: float = 1.0) -> np.ndarray:
    """Structural similarity per band (Wang et al. 2004, Eq. 13 with alpha = beta = gamma = 1).

    Gaussian window 11 x 11, sigma 1.5 (unit sum), K1 = 0.01, K2 = 0.03, C_i = (K_i data_range)^2,
    population (biased) local variances. The SSIM map is computed only where the 11 x 11 window
    lies entirely inside the image, i.e. a 5-pixel strip is dropped on each side; with no invalid
    pixel this equals ``skimage.metrics.structural_similarity(..., gaussian_weights=True, sigma=1.5,
    use_sample_covariance=False, data_range=data_range)``, which filters with 'reflect' borders and
    then crops (win - 1) / 2 = 5 pixels per side before averaging (the reflected values never reach
    the kept pixels).

    NaN strategy: invalid pixels (truth or prediction not finite in this band) get weight 0; the
    local means, variances and covariance are Gaussian-weighted over the window's valid pixels and
    divided by the sum of those weights (normalised convolution). The SSIM map is averaged over the
    valid centre pixels (of the cropped area). With every pixel valid this is plain SSIM. A band
    smaller than 11 pixels on a side, or with no valid centre pixel, gives NaN.
    """
    if not data_range > 0:
        raise ValueError(f"data_range must be positive, got {data_range}")
    t, p = _pair(truth, pred)
    valid = _band_valid(t, p)
    return np.array([_ssim_cs(t[b], p[b], valid[b], float(data_range))[0] for b in range(t.shape[0])])


def _downsample(x: np.ndarray, y: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """2 x 2 block mean over valid pixels, output side ceil(side / 2). An odd last row / column forms
    blocks of its own (1 x 2, 2 x 1 or 1 x 1 pixels, averaged over what lies in the image); a block
    is valid when at least one of its pixels is."""
    rows, cols = x.shape
    pr, pc = rows % 2, cols % 2
    if pr or pc:  # pad with invalid pixels to even sides
        x, y = np.pad(x, ((0, pr), (0, pc))), np.pad(y, ((0, pr), (0, pc)))
        m = np.pad(m, ((0, pr), (0, pc)), constant_values=False)
    shape = (x.shape[0] // 2, 2, x.shape[1] // 2, 2)
    w = m.astype(np.float64).reshape(shape).sum(axis=(1, 3))
    sx = np.where(m, x, 0.0).reshape(shape).sum(axis=(1, 3))
    sy = np.where(m, y, 0.0).reshape(shape).sum(axis=(1, 3))
    mm = w > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mm, sx / w, np.nan), np.where(mm, sy / w, np.nan), mm


def ms_ssim(truth: np.ndarray, pred: np.ndarray, data_range: float = 1.0) -> np.ndarray | None:
    """Multi-scale SSIM per band (Wang et al. 2003, Eq. 7), 5 scales, weights (0.0448, 0.2856, 0.3001,
    0.2363, 0.1333); None when the image's smaller side is below (11 - 1) * 2^4 + 1 = 161 pixels.

    MS-SSIM = prod_{j=1..4} mean(cs_j)^w_j * mean(ssim_5)^w_5, each scale computed as in ``ssim``
    (window, constants, 5-pixel crop). Between scales the image is averaged over 2 x 2 blocks and
    subsampled by 2 (side ceil(side / 2), so 161 pixels leave 11 at the 5th scale). As in
    pytorch-msssim (the usual reference implementation), the per-scale means are clipped at 0 before
    the fractional powers. Difference from pytorch-msssim: an odd side's last row / column is averaged
    on its own (pytorch-msssim zero-pads one pixel on both sides and counts the zeros in the block
    mean); the two agree exactly when the sides are multiples of 16.

    NaN strategy: no filling. Each scale uses the normalised-convolution SSIM of ``ssim``; a 2 x 2
    block averages its valid pixels and is valid when at least one of them is. A band with no
    valid pixel at some scale gives NaN.
    """
    if not data_range > 0:
        raise ValueError(f"data_range must be positive, got {data_range}")
    t, p = _pair(truth, pred)
    if min(t.shape[1:]) < MSSSIM_MIN_SIDE:
        return None
    valid = _band_valid(t, p)
    out = np.empty(t.shape[0])
    for b in range(t.shape[0]):
        x, y, m = t[b], p[b], valid[b]
        value = 1.0
        for level, weight in enumerate(MSSSIM_WEIGHTS):
            s, c = _ssim_cs(x, y, m, float(data_range))
            last = level == len(MSSSIM_WEIGHTS) - 1
            term = s if last else c  # cs at scales 1..4, SSIM at scale 5
            if not np.isfinite(term):
                value = np.nan
                break
            value *= max(term, 0.0) ** weight
            if not last:
                x, y, m = _downsample(x, y, m)
        out[b] = value
    return out


# -------------------------------------------------------------------------------- spectral metrics
def sam(truth: np.ndarray, pred: np.ndarray, degrees: bool = True) -> float:
    """Spectral angle mapper (Yuhas et al. 1992): mean over pixels of arccos(<y, y^> / (||y||_2 ||y^||_2)).

    The cosine is clipped to [-1, 1]; pixels not finite in every band of truth and prediction, or
    where either spectrum has a zero L2 norm (angle undefined), are excluded. Degrees by default
    (``degrees=False``: radians). NaN when no pixel remains.
    """
    t, p = _pair(truth, pred)
    valid = _spectral_valid(t, p)
    y, yh = t[:, valid], p[:, valid]  # (bands, n)
    ny = np.sqrt(np.sum(y * y, axis=0))
    nyh = np.sqrt(np.sum(yh * yh, axis=0))
    keep = (ny > 0) & (nyh > 0)
    if not keep.any():
        return np.nan
    cos = np.sum(y[:, keep] * yh[:, keep], axis=0) / (ny[keep] * nyh[keep])
    angle = float(np.mean(np.arccos(np.clip(cos, -1.0, 1.0))))
    return float(np.degrees(angle)) if degrees else angle


def ergas(truth: np.ndarray, pred: np.ndarray, ratio_h_over_l: float) -> float:
    """ERGAS (Wald 2002): 100 (h/l) sqrt(mean_b (RMSE_b / mean(y_b))^2).

    h/l = fine (high-resolution) pixel size / coarse (low-resolution) pixel size, e.g. 30 / 480.
    RMSE_b and the truth mean mean(y_b) are taken over the pixels valid in every band. NaN when no
    pixel is valid or a band's truth mean is 0 (relative error undefined).
    """
    if not ratio_h_over_l > 0:
        raise ValueError(f"ratio_h_over_l must be positive, got {ratio_h_over_l}")
    t, p = _pair(truth, pred)
    valid = _spectral_valid(t, p)
    if not valid.any():
        return np.nan
    y, yh = t[:, valid], p[:, valid]
    band_rmse = np.sqrt(np.mean((yh - y) ** 2, axis=1))
    band_mean = np.mean(y, axis=1)
    if np.any(band_mean == 0):
        return np.nan
    return float(100.0 * ratio_h_over_l * np.sqrt(np.mean((band_rmse / band_mean) ** 2)))


# ---------------------------------------------------------------------------------------------- NDVI
def ndvi(image: np.ndarray, red: int, nir: int) -> np.ndarray:
    """NDVI = (NIR - red) / (NIR + red) of a (bands, rows, cols) image; NaN where either band is not
    finite or NIR + red = 0. ``red`` and ``nir`` are band indices."""
    img = np.asarray(image, dtype=np.float64)
    r, n = img[red], img[nir]
    s = n + r
    ok = np.isfinite(r) & np.isfinite(n) & (s != 0)
    out = np.full(r.shape, np.nan)
    out[ok] = (n[ok] - r[ok]) / s[ok]
    return out


def ndvi_error(truth: np.ndarray, pred: np.ndarray, red: int, nir: int) -> dict[str, float]:
    """NDVI error of the prediction: {"rmse", "mae", "bias"} of NDVI(pred) - NDVI(truth) over the pixels
    where both NDVIs are defined (NaN when none)."""
    t, p = _pair(truth, pred)
    a, b = ndvi(t, red, nir), ndvi(p, red, nir)
    ok = np.isfinite(a) & np.isfinite(b)
    d = b[ok] - a[ok]
    if not d.size:
        return {"rmse": np.nan, "mae": np.nan, "bias": np.nan}
    return {"rmse": float(np.sqrt(np.mean(d * d))), "mae": float(np.mean(np.abs(d))), "bias": float(np.mean(d))}


# ------------------------------------------------------------------------------------ metric records
@dataclass(frozen=True)
class Scene:
    """What a metric may need besides the two images: the data range (PSNR, SSIM), the fine-to-coarse pixel size
    ratio h/l (ERGAS) and the red and NIR band indices (NDVI; None when the bands have no red or no NIR)."""

    data_range: float = 1.0
    ratio_h_over_l: float = 1.0
    red: int | None = None
    nir: int | None = None


@dataclass(frozen=True)
class Metric:
    """One metric: ``per_band(truth, pred, scene)`` -> a value per band (band-averaged as band "all"), or
    ``whole(truth, pred, scene)`` -> one value for the image; either returns None where the metric does not apply
    (MS-SSIM of a small image, NDVI without red or NIR). ``best``: which value is best, "highest", "lowest" or
    "zero" (closest to zero); ``label``, ``digits`` and ``unit`` are how tables show it."""

    label: str
    best: str
    per_band: Callable | None = None
    whole: Callable | None = None
    digits: int = 4
    unit: str = ""


def _ndvi(key: str) -> Callable:
    return lambda t, p, s: None if s.red is None or s.nir is None else ndvi_error(t, p, s.red, s.nir)[key]


METRICS: dict[str, Metric] = {  # every metric of the score files, in their order
    "rmse": Metric("RMSE", "lowest", per_band=lambda t, p, s: rmse(t, p)),
    "mae": Metric("MAE", "lowest", per_band=lambda t, p, s: mae(t, p)),
    "bias": Metric("bias", "zero", per_band=lambda t, p, s: bias(t, p)),
    "cc": Metric("CC", "highest", per_band=lambda t, p, s: cc(t, p)),
    "psnr": Metric("PSNR (dB)", "highest", per_band=lambda t, p, s: psnr(t, p, s.data_range), digits=2,
                   unit="PSNR with a data range of 1.0 (reflectance 0..1)"),
    "ssim": Metric("SSIM", "highest", per_band=lambda t, p, s: ssim(t, p, s.data_range)),
    "ms_ssim": Metric("MS-SSIM", "highest", per_band=lambda t, p, s: ms_ssim(t, p, s.data_range)),
    "sam_deg": Metric("SAM (°)", "lowest", whole=lambda t, p, s: sam(t, p, degrees=True), digits=2,
                      unit="SAM in degrees"),
    "ergas": Metric("ERGAS", "lowest", whole=lambda t, p, s: ergas(t, p, s.ratio_h_over_l), digits=3,
                    unit="ERGAS with h/l = fine / coarse pixel size"),
    "ndvi_rmse": Metric("NDVI RMSE", "lowest", whole=_ndvi("rmse")),
    "ndvi_mae": Metric("NDVI MAE", "lowest", whole=_ndvi("mae")),
}
# The metrics of the summary tables: the spatiotemporal ones as in Tan et al. (2019)'s tables; the hyperspectral
# ones (one HS date, 166 bands: MS-SSIM and ERGAS are costly there) as in Peng et al.'s tables.
FUSION_TABLE = ("rmse", "ssim", "cc", "psnr", "sam_deg", "ergas")
CUBE_TABLE = ("cc", "sam_deg", "psnr", "ssim", "rmse")


def _band_average(values: np.ndarray) -> float:
    """Mean over the bands whose value is defined (not NaN); NaN when none is. +inf is kept."""
    values = np.asarray(values, dtype=np.float64)
    defined = values[~np.isnan(values)]
    return float(np.mean(defined)) if defined.size else np.nan


def evaluate(truth: np.ndarray, pred: np.ndarray, band_names: Sequence[str], ratio_h_over_l: float,
             red: int | None = None, nir: int | None = None, data_range: float = 1.0) -> list[dict]:
    """Every metric of ``METRICS`` that applies, as tidy rows {"band": band name or "all", "metric", "value"}.

    Band metrics per band and averaged over bands (band "all", mean of the defined per-band values); whole-image
    metrics as band "all". Here: rmse, mae, bias, cc, psnr (dB, range ``data_range``), ssim, ms_ssim (only when
    the image has at least 161 pixels on its smaller side), sam_deg (SAM in degrees), ergas, and, when ``red``
    and ``nir`` band indices are given, ndvi_rmse and ndvi_mae.
    """
    t, p = _pair(truth, pred)
    names = list(band_names)
    if len(names) != t.shape[0]:
        raise ValueError(f"{len(names)} band names for {t.shape[0]} bands")
    scene = Scene(data_range, ratio_h_over_l, red, nir)
    rows: list[dict] = []
    for name, metric in METRICS.items():
        values = metric.per_band(t, p, scene) if metric.per_band else None
        if values is not None:
            rows.extend({"band": band, "metric": name, "value": float(v)} for band, v in zip(names, values))
            rows.append({"band": "all", "metric": name, "value": _band_average(values)})
    for name, metric in METRICS.items():
        value = metric.whole(t, p, scene) if metric.whole else None
        if value is not None:
            rows.append({"band": "all", "metric": name, "value": float(value)})
    return rows


def image_scores(truth: np.ndarray, pred: np.ndarray, metrics: Sequence[str], scene: Scene = Scene()) -> dict[str, float]:
    """The named metrics of one image, band-averaged: {name: value}."""
    t, p = _pair(truth, pred)
    scores = {}
    for name in metrics:
        metric = METRICS[name]
        scores[name] = _band_average(metric.per_band(t, p, scene)) if metric.per_band else float(metric.whole(t, p, scene))
    return scores
