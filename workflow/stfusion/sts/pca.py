"""Principal components of a hyperspectral series (Peng, Li, Zhou and Li, "A Long-time-series
Spatio-Temporal-Spectral Fusion Method via Multi-task Learning", section 3.1).

Peng et al. (STS-MTL) transform the ZY1-02D AHSI cubes to principal components before learning, because
several SWIR bands are noisy: the network predicts the leading components and the output is
transformed back to all bands. One PCA is fitted on the valid pixels (no NaN in any band) of every
hyperspectral date together, so all dates share one basis; the number of components is the
smallest whose cumulative explained variance reaches ``variance`` (scikit-learn's rule).
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from sklearn.decomposition import PCA

from ..errors import ConfigError, InputDataError


class HyperspectralPCA:
    """PCA of (C, H, W) cubes or (T, C, H, W) series along the band axis; NaN pixels stay NaN.

    ``variance`` in (0, 1] is the explained-variance fraction to keep (1 keeps every component);
    at most ``max_pixels`` valid pixels, drawn with ``seed``, are used to fit.
    """

    def __init__(self, variance: float = 0.999, max_pixels: int = 200_000, seed: int = 0) -> None:
        if not 0.0 < variance <= 1.0:
            raise ConfigError(f"PCA variance fraction {variance} must be in (0, 1]: e.g. 0.999 keeps 99.9 %")
        self.variance, self.max_pixels, self.seed = variance, max_pixels, seed
        self.components: np.ndarray | None = None  # (K, C), orthonormal rows
        self.mean: np.ndarray | None = None  # (C,)
        self.explained_variance_ratio: np.ndarray | None = None  # (K,)

    @property
    def n_components(self) -> int:
        return 0 if self.components is None else len(self.components)

    def fit(self, cubes: np.ndarray) -> HyperspectralPCA:
        """Fit on the pixels of (C, H, W) or (T, C, H, W) that are finite in every band."""
        pixels = _pixels(cubes)
        pixels = pixels[np.isfinite(pixels).all(axis=1)]
        bands = pixels.shape[1]
        if len(pixels) < 2:
            raise InputDataError(f"the hyperspectral series has {len(pixels)} pixels valid in all {bands} bands: "
                                 "at least 2 are needed for PCA; check its nodata and QA masks")
        if len(pixels) > self.max_pixels:
            pick = np.random.default_rng(self.seed).choice(len(pixels), self.max_pixels, replace=False)
            pixels = pixels[np.sort(pick)]
        keep = None if self.variance >= 1.0 else self.variance
        pca = PCA(n_components=keep, svd_solver="full").fit(pixels.astype(np.float64))
        self.components, self.mean = pca.components_, pca.mean_
        self.explained_variance_ratio = pca.explained_variance_ratio_
        return self

    def transform(self, cubes: np.ndarray) -> np.ndarray:
        """(…, C, H, W) reflectance -> (…, K, H, W) component scores (float32)."""
        self._check_fitted()
        moved = np.moveaxis(np.asarray(cubes, np.float64), -3, -1)
        return np.moveaxis((moved - self.mean) @ self.components.T, -1, -3).astype(np.float32)

    def inverse_transform(self, scores: np.ndarray) -> np.ndarray:
        """(…, K, H, W) component scores -> (…, C, H, W) reflectance (float32)."""
        self._check_fitted()
        moved = np.moveaxis(np.asarray(scores, np.float64), -3, -1)
        return np.moveaxis(moved @ self.components + self.mean, -1, -3).astype(np.float32)

    def state(self) -> dict:
        """The fitted PCA as tensors and plain values (``torch_artefact``); ``from_state`` reads it back."""
        self._check_fitted()
        arrays = {name: torch.from_numpy(np.asarray(getattr(self, name)))
                  for name in ("components", "mean", "explained_variance_ratio")}
        return {"variance": self.variance, "max_pixels": self.max_pixels, "seed": self.seed, **arrays}

    @classmethod
    def from_state(cls, state: Mapping) -> HyperspectralPCA:
        pca = cls(state["variance"], state["max_pixels"], state["seed"])
        pca.components, pca.mean, pca.explained_variance_ratio = (
            state[name].numpy() for name in ("components", "mean", "explained_variance_ratio"))
        return pca

    def _check_fitted(self) -> None:
        if self.components is None:
            raise RuntimeError("HyperspectralPCA is not fitted: call fit() on the hyperspectral series first")


def _pixels(cubes: np.ndarray) -> np.ndarray:
    """(N, C) pixel spectra of a (C, H, W) cube or a (T, C, H, W) series."""
    cubes = np.asarray(cubes)
    if cubes.ndim not in (3, 4):
        raise ValueError(f"expected a (C, H, W) cube or a (T, C, H, W) series, got shape {cubes.shape}")
    return np.moveaxis(cubes, -3, -1).reshape(-1, cubes.shape[-3])
