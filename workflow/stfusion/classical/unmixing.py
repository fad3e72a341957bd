"""FSDAF's scene-wide steps 1 and 2 (Zhu et al. 2016): classes of the fine reference, change of each class.

Zhu, X., Helmer, E. H., Gao, F., Liu, D., Chen, J., Lefsky, M. A. (2016). A flexible spatiotemporal method for
fusing satellite images with different resolutions. Remote Sensing of Environment 172, 165-177.

Step 1 classifies the fine reference without supervision. The paper uses ISODATA; k-means (scikit-learn, k-means++ start)
is ISODATA without its splitting and merging of classes, with the number of classes fixed. Step 2 unmixes the change of each class from the change of the coarse pixels,
whose linear mixture model is

    dC(x_i, y_i, b) = sum_c f_c(x_i, y_i) dF(c, b),

f_c the fraction of class c in coarse pixel i. It is solved per band by least squares over the ``n_pure`` coarse
pixels with the largest fraction of each class, each dF(c, b) bounded by the smallest and largest coarse change
widened by their standard deviation (the constraint of the authors' released IDL code, FSDAF v1.x), with
SciPy's bounded-variable least squares. These steps see only a sample of pixels and the coarse grid.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import lsq_linear
from sklearn.cluster import KMeans

def kmeans(samples: np.ndarray, n_classes: int, seed: int) -> np.ndarray:
    """Class centres (n_classes, C) of ``samples`` (N, C) by scikit-learn's k-means (k-means++ start, seeded)."""
    model = KMeans(n_clusters=n_classes, init="k-means++", n_init=1, random_state=seed).fit(samples)
    return model.cluster_centers_


def purest_pixels(fractions: np.ndarray, eligible: np.ndarray, n_pure: int) -> np.ndarray:
    """Flat indices of the coarse pixels of the regression, class by class (repeats allowed, as in the paper).

    For each class, the eligible coarse pixels that contain it, by decreasing fraction (ties in raster order),
    the first ``n_pure`` of them.
    """
    rows = []
    for fraction in fractions.reshape(len(fractions), -1):
        candidates = np.flatnonzero(eligible.ravel() & (fraction > 0))
        rows.append(candidates[np.argsort(-fraction[candidates], kind="stable")][:n_pure])
    return np.concatenate(rows)


def class_change(fractions: np.ndarray, eligible: np.ndarray, coarse_change: np.ndarray, n_pure: int) -> np.ndarray:
    """dF(c, b) (n_classes, C) from the class fractions (n_classes, h, w) and the coarse change dC (C, h, w).

    ``eligible`` (h, w) marks the coarse pixels whose fractions are known (all their fine pixels classified) and
    whose change is observed; ``coarse_change`` is NaN where a coarse image is missing. A class that lies in no
    eligible coarse pixel cannot be unmixed and gets the mean coarse change.
    """
    rows = purest_pixels(fractions, eligible, n_pure)
    if rows.size == 0:
        raise ValueError("FSDAF cannot unmix the change of its classes: no coarse pixel has both coarse images and "
                         "all its fine reference pixels valid; use a reference pair with fewer gaps")
    design = fractions.reshape(len(fractions), -1)[:, rows].T
    targets = coarse_change.reshape(len(coarse_change), -1)[:, rows].T
    observed = coarse_change[:, np.isfinite(coarse_change).all(axis=0)]
    spread = observed.std(axis=1)
    low, high = observed.min(axis=1) - spread, observed.max(axis=1) + spread
    present = design.any(axis=0)
    change = np.repeat(observed.mean(axis=1)[None], len(fractions), axis=0)
    for band in range(len(coarse_change)):
        change[present, band] = bounded_least_squares(design[:, present], targets[:, band], low[band], high[band])
    return change


def bounded_least_squares(design: np.ndarray, targets: np.ndarray, low: float, high: float) -> np.ndarray:
    """argmin ||design x - targets||^2 subject to low <= x <= high (SciPy's bounded-variable least squares)."""
    if high <= low:  # every coarse change is the same value: it is the only feasible one
        return np.full(design.shape[1], low)
    return lsq_linear(design, targets, bounds=(low, high), method="bvls").x
