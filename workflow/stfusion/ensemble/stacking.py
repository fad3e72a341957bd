"""Stacked fusion: per band, the members' predictions combined with non-negative weights that sum to one, fitted by
least squares on their out-of-sample predictions (stacking: Wolpert 1992, "Stacked generalization", Neural Networks
5(2); with non-negative weights, Breiman 1996, "Stacked regressions", Machine Learning 24(1)). The sum-to-one
constraint keeps the combination a weighted mean of reflectances, so it cannot rescale a band.

The fit reads whole scenes without subsampling: least squares needs only the moments of each date (``Moments``:
members x members sums of products per band), which add over windows and dates and subtract for a left-out date, so
the leave-one-date-out weights of every date cost one pass over the pixels and no more memory than a window.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from itertools import combinations
from operator import add
from typing import Mapping, NamedTuple, Sequence

import numpy as np

from ..errors import InputDataError

MIN_FITTING_DATES = 2  # leave-one-date-out needs another date to fit the weights of each date on
FEASIBLE = 1e-9  # a weight above -FEASIBLE is a zero that rounding made negative
TIE = 1e-9  # squared errors within TIE x the truth's energy are the same fit (collinear members)


@dataclass(frozen=True)
class Moments:
    """Per band, over the pixels where the truth and every member have a value: ``gram`` (bands, members, members),
    the sums of the products of two members' predictions; ``cross`` (bands, members), of a member's and the truth;
    ``energy`` (bands,), of the truth squared; ``count`` (bands,), the pixels. The squared error of weights ``w`` in
    band b is ``w' gram[b] w - 2 w' cross[b] + energy[b]``."""

    gram: np.ndarray
    cross: np.ndarray
    energy: np.ndarray
    count: np.ndarray

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.gram + other.gram, self.cross + other.cross, self.energy + other.energy,
                       self.count + other.count)

    def __sub__(self, other: Moments) -> Moments:
        return Moments(self.gram - other.gram, self.cross - other.cross, self.energy - other.energy,
                       self.count - other.count)

    def relative(self) -> Moments:
        """These moments divided, per band, by the squared error of the members' plain mean (equal weights): the
        squared errors of any weights relative to that one's, so that a date weighs in a fit over several dates by
        how much better or worse the weights do there, not by how large its errors are."""
        members = self.cross.shape[1]
        plain = np.full(members, 1.0 / members)
        error = np.einsum("m,bmk,k->b", plain, self.gram, plain) - 2 * self.cross @ plain + self.energy
        scale = np.maximum(error, np.finfo(float).tiny)
        return Moments(self.gram / scale[:, None, None], self.cross / scale[:, None], self.energy / scale, self.count)


def moments(predictions: np.ndarray, truth: np.ndarray) -> Moments:
    """The ``Moments`` of the members' ``predictions`` (members, bands, ...) against ``truth`` (bands, ...), in float64;
    a pixel where the truth or any member is NaN is left out of that band."""
    members, bands = predictions.shape[:2]
    p = predictions.reshape(members, bands, -1).astype(np.float64)
    t = truth.reshape(bands, -1).astype(np.float64)
    valid = np.isfinite(t) & np.isfinite(p).all(axis=0)
    p, t = np.where(valid, p, 0.0), np.where(valid, t, 0.0)
    return Moments(np.einsum("mbn,kbn->bmk", p, p), np.einsum("mbn,bn->bm", p, t), np.einsum("bn,bn->b", t, t),
                   valid.sum(axis=1))


def simplex_least_squares(gram: np.ndarray, cross: np.ndarray, energy: float) -> np.ndarray:
    """The weights ``w >= 0``, ``sum(w) = 1`` that minimise ``w' gram w - 2 w' cross + energy``, exactly.

    The problem is a convex quadratic programme on the simplex; its minimum lies on one face, where the weights
    outside a support S are zero and those inside solve the equality-constrained least squares of S (its KKT system,
    ``[[2 G_SS, 1], [1', 0]] [w_S; l] = [2 c_S; 1]``). Every support is tried (2^members - 1 small solves: 511 for
    the nine fusion models) and the feasible solution with the least squared error kept: no iteration, no tolerance
    on convergence. Collinear members (one prediction a weighted mean of others) make the minimum a segment; of its
    points the one with the least sum of squared weights is kept, so identical members share their weight equally.
    """
    size = len(cross)
    best, best_error, best_norm = None, np.inf, np.inf
    tie = TIE * max(energy, np.finfo(float).tiny)
    for k in range(1, size + 1):
        for support in map(list, combinations(range(size), k)):
            kkt = np.zeros((k + 1, k + 1))
            kkt[:k, :k], kkt[:k, k], kkt[k, :k] = 2 * gram[np.ix_(support, support)], 1.0, 1.0
            solution = np.linalg.lstsq(kkt, np.append(2 * cross[support], 1.0), rcond=None)[0][:k]
            if solution.min() < -FEASIBLE:
                continue
            weights = np.zeros(size)
            weights[support] = np.clip(solution, 0.0, None)
            weights /= weights.sum()
            error, norm = weights @ gram @ weights - 2 * weights @ cross + energy, weights @ weights
            if error < best_error - tie or (error <= best_error + tie and norm < best_norm):
                best, best_error, best_norm = weights, min(error, best_error), norm
    return best


def simplex_weights(moments: Moments, bands: Sequence[str]) -> np.ndarray:
    """Per band, the stacking weights (bands, members) of ``simplex_least_squares`` on the band's moments."""
    for name, count in zip(bands, moments.count):
        if count == 0:
            raise InputDataError(f"band {name}: no pixel of the fitting dates where the truth and every member of the "
                                 "ensemble have a value, so its weights cannot be fitted: look at the members' "
                                 "predictions and the truth of those dates (their NaN areas), or drop the member "
                                 "that is empty")
    return np.stack([simplex_least_squares(moments.gram[b], moments.cross[b], moments.energy[b])
                     for b in range(len(bands))])


def stacking_weights(predictions: np.ndarray, truth: np.ndarray, bands: Sequence[str]) -> np.ndarray:
    """The stacking weights (bands, members) of the members' ``predictions`` (members, bands, samples or rows, cols)
    of ``truth`` (bands, ...): per band non-negative, summing to one, the least squared error over the samples
    where the truth and every member have a value (NaN samples are ignored)."""
    return simplex_weights(moments(predictions, truth), bands)


class DateWeights(NamedTuple):
    """The weights (bands, members) of an ensemble: ``all_dates``, fitted on every fitting date, and ``without``,
    per fitting date those fitted on the other fitting dates (the ones its prediction is scored with)."""

    all_dates: np.ndarray
    without: dict[str, np.ndarray]

    def of(self, date: str) -> np.ndarray:
        """The weights the prediction of ``date`` is made with: fitted without it when it is a fitting date."""
        return self.without.get(date, self.all_dates)


def leave_one_date_out(by_date: Mapping[str, Moments], bands: Sequence[str]) -> DateWeights:
    """Stacking weights fitted on all the dates of ``by_date`` (date -> ``Moments`` of the members' predictions of it)
    and, for each, on the others only (leave-one-date-out). At least ``MIN_FITTING_DATES`` dates: with one, the
    weights of its prediction would be fitted on itself (``members.check_fitting_dates`` says so at DAG build).

    Each date enters by its ``Moments.relative``: the score to beat is the mean over dates of each date's RMSE
    (summary.tsv), and pooled pixels would let the dates with the largest errors (those far from their references)
    decide the weights of all the others."""
    if len(by_date) < MIN_FITTING_DATES:
        raise ValueError(f"leave-one-date-out needs {MIN_FITTING_DATES} fitting dates or more, got {sorted(by_date)}: "
                         "check them first with members.check_fitting_dates")
    relative = {date: day.relative() for date, day in by_date.items()}
    total = reduce(add, relative.values())
    return DateWeights(simplex_weights(total, bands),
                       {date: simplex_weights(total - day, bands) for date, day in relative.items()})


def combine(predictions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The ensemble's prediction (bands, rows, cols), float32, from its members' ``predictions`` (members, bands,
    rows, cols) and ``weights`` (bands, members). Where some members are NaN, the weights of the members that have a
    value there are renormalised to sum to one (their weighted mean); where none of the members with a positive
    weight has a value, the ensemble is NaN too (no silent stand-in from a member the fit gave no weight)."""
    w = weights.T.astype(np.float64)[:, :, None, None]
    present = np.isfinite(predictions)
    total = np.where(present, w, 0.0).sum(axis=0)
    weighted = np.where(present, w * np.where(present, predictions, 0.0), 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, weighted / total, np.nan).astype(np.float32)
