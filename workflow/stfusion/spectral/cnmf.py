"""CNMF: Yokoya, Yairi & Iwasaki 2012, "Coupled nonnegative matrix factorization unmixing for hyperspectral
and multispectral data fusion", IEEE TGRS 50(2), 528-537.

Both images follow the linear mixing model with the same materials: the HS image Y_h ~ W_h H_h (C_h bands
x M endmembers, M x coarse pixels) and the MS image Y_m ~ W_m H_m (fine pixels), coupled by the sensor
observation models W_m ~ R W_h (the spectral response matrix R, C_m x C_h) and H_h ~ H_m S (S, the spatial
degradation of the fine grid to the coarse one). Each unmixing is an NMF by Lee & Seung's multiplicative
updates; the coupling enters only through each NMF's starting point:

1. HS unmixing: W_h from VCA (Nascimento & Bioucas-Dias 2005), H_h = 1/M; H_h is updated alone until
   it converges, then W_h and H_h alternately.
2. MS unmixing: W_m = R W_h, H_m = H_h interpolated to the fine grid; H_m alone, then both.
3. Outer rounds: HS unmixing from H_h = S(H_m) with W_h kept (W_h alone first, then both), then MS
   unmixing from W_m = R W_h with H_m kept (H_m alone first, then both).
The fused image is W_h H_m. The abundance sum-to-one constraint is the row of constants ``delta``
appended to the data and to the endmember matrix (only the H updates see it).

The numbers come from Yokoya's public CNMF release (MATLAB 2015, Python 2016; the paper's own text was not
available here), and so do the order of updates above: inner loops stop when the cost falls by less than
``tol`` = 1e-8 of itself or after ``inner`` = 200 iterations; ``endmembers`` = min(30, C_h) (the release
takes the larger of that and a virtual-dimensionality estimate, which is not reproduced); ``delta`` =
2 sqrt(mean(MS) / 0.7455) / C_m^3; ``outer`` = 1 round, as released (its notes suggest 3-5 for
synthetic and 1-2 for real data); a round whose HS and MS costs do not both fall by more than
``outer_tol`` = 1e-2 ends the iteration and its MS unmixing is discarded, and the last round stops after
its HS unmixing, so that W_h is always fitted to the H_m it is combined with. The release keeps W_m
fixed when the MS image has 3 bands or fewer; that case is not special here.

S is ``degradation`` of ``stfusion.simulate.degrade``, by default "area" (the mean of each ratio x ratio
block); the interpolation of step 2 is bilinear with pixel edges aligned. Missing data: HS coarse pixels
and MS fine pixels with any NaN band are left out of their unmixing, S and the interpolation average
only valid pixels, and the output is NaN where the MS pixel or the HS pixel over it is missing. Negative
values are set to 0 before unmixing, as in the release. CNMF is one factorisation of the whole scene (blocks
would each find their own endmembers): it holds about 5 float64 arrays of endmembers x MS pixels.
"""
from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage

from ..simulate import DEGRADE_METHODS, degrade
from .method import SpectralMethod

log = logging.getLogger("stfusion")

# Denominators of the multiplicative updates are floored here, so that an all-zero row or column stays zero.
TINY = 1e-30


def cnmf(hs: np.ndarray, ms: np.ndarray, srf: np.ndarray, ratio: int, *, endmembers: int | None = None,
         outer: int = 1, inner: int = 200, tol: float = 1e-8, outer_tol: float = 1e-2, delta: float | None = None,
         degradation: str = "area", seed: int = 0) -> np.ndarray:
    """Fuse hs (C_h, H / ratio, W / ratio) and ms (C_m, H, W) into (C_h, H, W) float32, NaN where missing.

    ``srf`` (C_m, C_h) maps HS spectra to MS spectra (rows sum to 1, e.g. ``simulate.spectral_weights``).
    ``endmembers`` defaults to min(30, C_h); ``seed`` drives VCA's random directions.
    """
    check_inputs(hs, ms, srf, ratio, degradation)
    hs_bands = hs.shape[0]
    endmembers = min(30, hs_bands) if endmembers is None else endmembers
    if inner < 1 or outer < 0:
        raise ValueError(f"CNMF: inner must be at least 1 and outer at least 0; got inner={inner}, outer={outer}")
    if not 1 <= endmembers <= hs_bands:
        raise ValueError(f"CNMF: endmembers must be between 1 and the {hs_bands} HS bands (VCA projects onto that "
                         f"many dimensions); got {endmembers}")
    hs_valid = np.isfinite(hs).all(axis=0)
    ms_valid = np.isfinite(ms).all(axis=0)
    if hs_valid.sum() < endmembers or not ms_valid.any():
        raise ValueError(f"CNMF needs at least {endmembers} valid HS pixels (one per endmember) and one valid MS "
                         f"pixel; got {int(hs_valid.sum())} and {int(ms_valid.sum())}: pass fewer endmembers or "
                         "a scene with less missing data")
    hs_data = np.clip(hs[:, hs_valid], 0, None).astype(np.float64)
    ms_data = np.clip(ms[:, ms_valid], 0, None).astype(np.float64)
    srf = np.asarray(srf, dtype=np.float64)
    delta = 2 * np.sqrt(ms_data.mean() / 0.7455) / ms.shape[0] ** 3 if delta is None else delta
    unmix = {"delta": delta, "inner": inner, "tol": tol}

    start = vca(hs_data, endmembers, np.random.default_rng(seed))
    hs_endmembers, hs_abundances, hs_cost = unmix_nmf(
        hs_data, start, np.full((endmembers, hs_data.shape[1]), 1 / endmembers), first="abundances", **unmix)
    coarse_maps = _maps(hs_abundances, hs_valid)
    ms_abundances = _interpolate(coarse_maps, hs_valid, ratio)[:, ms_valid]
    _, ms_abundances, ms_cost = unmix_nmf(ms_data, srf @ hs_endmembers, ms_abundances, first="abundances", **unmix)
    for round_ in range(outer):
        degraded, covered = _degrade(_maps(ms_abundances, ms_valid), ms_valid, ratio, degradation)
        coarse_maps = np.where(covered, degraded, coarse_maps)  # coarse pixels with no valid MS pixel keep theirs
        hs_endmembers, hs_abundances, new_hs_cost = unmix_nmf(
            hs_data, hs_endmembers, coarse_maps[:, hs_valid], first="endmembers", **unmix)
        coarse_maps = _maps(hs_abundances, hs_valid, fill=coarse_maps)
        if round_ == outer - 1:
            break
        _, new_ms_abundances, new_ms_cost = unmix_nmf(
            ms_data, srf @ hs_endmembers, ms_abundances, first="abundances", **unmix)
        log.info("CNMF round %d/%d: HS cost %.4g, MS cost %.4g", round_ + 1, outer, new_hs_cost, new_ms_cost)
        if hs_cost - new_hs_cost <= outer_tol * hs_cost or ms_cost - new_ms_cost <= outer_tol * ms_cost:
            break
        ms_abundances, hs_cost, ms_cost = new_ms_abundances, new_hs_cost, new_ms_cost

    fused = np.full((hs_bands, *ms_valid.shape), np.nan, dtype=np.float32)
    fused[:, ms_valid] = hs_endmembers @ ms_abundances
    fused[:, ~np.repeat(np.repeat(hs_valid, ratio, axis=0), ratio, axis=1)] = np.nan
    return fused


def check_inputs(hs: np.ndarray, ms: np.ndarray, srf: np.ndarray, ratio: int, degradation: str) -> None:
    """Raise ValueError unless hs (C_h, h, w), ms (C_m, h ratio, w ratio) and srf (C_m, C_h) fit together."""
    if hs.ndim != 3 or ms.ndim != 3:
        raise ValueError(f"CNMF expects hs (C_h, h, w) and ms (C_m, H, W); got shapes {hs.shape} and {ms.shape}")
    if not isinstance(ratio, (int, np.integer)) or ratio < 1:
        raise ValueError(f"CNMF: ratio must be a positive integer; got {ratio!r}")
    if ms.shape[1:] != (hs.shape[1] * ratio, hs.shape[2] * ratio):
        raise ValueError(f"CNMF: the MS image ({ms.shape[1]} x {ms.shape[2]} pixels) must be ratio {ratio} times the "
                         f"HS image ({hs.shape[1]} x {hs.shape[2]}); crop both to the same area or fix the ratio")
    if np.shape(srf) != (ms.shape[0], hs.shape[0]):
        raise ValueError(f"CNMF: srf must be (MS bands, HS bands) = {(ms.shape[0], hs.shape[0])}; got "
                         f"{np.shape(srf)}: build it from the HS band centres and the MS sensor "
                         "(stfusion.simulate.spectral_weights)")
    if degradation not in DEGRADE_METHODS:
        raise ValueError(f"CNMF: unknown degradation {degradation!r}; use one of {', '.join(DEGRADE_METHODS)}")


def vca(data: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` endmember spectra (bands, count): the pixels of ``data`` (bands, pixels) found by VCA.

    Vertex component analysis (Nascimento & Bioucas-Dias 2005, IEEE TGRS 43(4)) with the projective
    projection onto the ``count``-dimensional signal subspace (their high-SNR branch): each new vertex is the
    pixel of largest projection on a random direction orthogonal to the vertices found so far.
    """
    _, vectors = np.linalg.eigh(data @ data.T / data.shape[1])
    projected = vectors[:, -count:].T @ data
    scale = projected.mean(axis=1) @ projected
    projected = projected / np.maximum(scale, TINY)
    vertices = np.zeros((count, count))
    vertices[-1, 0] = 1
    picks = []
    for i in range(count):
        direction = rng.standard_normal(count)
        direction -= vertices @ np.linalg.pinv(vertices) @ direction
        picks.append(int(np.argmax(np.abs(direction @ projected))))
        vertices[:, i] = projected[:, picks[-1]]
    return data[:, picks].copy()


def unmix_nmf(data: np.ndarray, endmembers: np.ndarray, abundances: np.ndarray, *, first: str, delta: float,
              inner: int, tol: float) -> tuple[np.ndarray, np.ndarray, float]:
    """One NMF unmixing data ~ endmembers @ abundances of CNMF (Yokoya et al. 2012, Section III).

    Lee & Seung's multiplicative updates of the Frobenius cost: first the ``first`` factor ("endmembers"
    or "abundances") alone, then both alternately, each phase until the cost falls by less than ``tol``
    of itself or for ``inner`` iterations. The abundance update sees ``data`` and ``endmembers`` with a
    row of ``delta`` appended (the soft sum-to-one constraint). Returns both factors and the cost.
    """
    endmembers, abundances = endmembers.copy(), abundances.copy()
    bands = data.shape[0]
    extended_data = np.vstack([data, np.full((1, data.shape[1]), delta)])
    extended = np.vstack([endmembers, np.full((1, endmembers.shape[1]), delta)])

    def update_endmembers() -> None:
        gram = abundances @ abundances.T
        extended[:bands] *= (data @ abundances.T) / np.maximum(extended[:bands] @ gram, TINY)

    def update_abundances() -> None:
        nonlocal abundances
        abundances *= (extended.T @ extended_data) / np.maximum((extended.T @ extended) @ abundances, TINY)

    def cost() -> float:
        return float(np.sum((data - extended[:bands] @ abundances) ** 2))

    steps = {"endmembers": [update_endmembers], "abundances": [update_abundances],
             "both": [update_endmembers, update_abundances]}
    current = cost()
    for phase in (first, "both"):
        for _ in range(inner):
            for step in steps[phase]:
                step()
            previous, current = current, cost()
            if previous - current < tol * current:
                break
    return extended[:bands], abundances, current


def _maps(columns: np.ndarray, valid: np.ndarray, fill: np.ndarray | None = None) -> np.ndarray:
    """(M, pixels) values at the ``valid`` pixels as (M, rows, cols) maps; the rest from ``fill`` or 0."""
    maps = np.zeros((columns.shape[0], *valid.shape)) if fill is None else fill.copy()
    maps[:, valid] = columns
    return maps


def _degrade(maps: np.ndarray, valid: np.ndarray, ratio: int, method: str) -> tuple[np.ndarray, np.ndarray]:
    """S applied to fine maps over their ``valid`` pixels only, and where a coarse pixel had any (normalised)."""
    weight = degrade(valid[None].astype(np.float64), ratio, method)
    degraded = degrade(maps * valid, ratio, method) / np.maximum(weight, TINY)
    return degraded, weight[0] > 0


def _interpolate(maps: np.ndarray, valid: np.ndarray, ratio: int) -> np.ndarray:
    """Bilinear interpolation of coarse maps to the fine grid from their ``valid`` pixels (normalised)."""
    def zoom(image: np.ndarray) -> np.ndarray:
        return ndimage.zoom(image, (1, ratio, ratio), order=1, mode="nearest", grid_mode=True)

    weight = zoom(valid[None].astype(np.float64))
    upsampled = zoom(maps * valid) / np.maximum(weight, TINY)
    return np.where(weight > 0, upsampled, 1 / maps.shape[0])


class CNMFMethod(SpectralMethod):
    """CNMF as a spectral method (``spectral.method``): nothing to learn, the pair itself is factorised;
    ``seed``: VCA's (the config's ``seed``)."""

    def __init__(self, degradation: str, seed: int) -> None:
        super().__init__(degradation)
        self.seed = seed

    @classmethod
    def from_config(cls, run, degradation, config) -> CNMFMethod:
        return cls(degradation, config["seed"])

    def predict(self, ms: np.ndarray, hs: np.ndarray, ratio: int, srf: np.ndarray) -> np.ndarray:
        return cnmf(hs, ms, srf, ratio, degradation=self.degradation, seed=self.seed)
