"""Normalized split-conformal intervals for fused reflectance (issue 26, item 3): per band, a difficulty model
sigma(x) of the pixel features x and a conformal multiplier q per coverage level, so that the interval
prediction +- q sigma(x) holds the truth for the stated share of pixels (Papadopoulos, Vovk and Gammerman (2011),
"Regression conformal prediction with nearest neighbours", JAIR 40, 815-840: the normalized nonconformity
|r| / sigma).

Calibration data are a method's residuals r = prediction - truth on its held-out dates: for the classical and naive
methods every scored pair date (a pair date's prediction never uses its own pair as a reference), for the deep
methods the dates summary_own_dates.tsv labels ``held_out`` (on the demo every scored date). The caller samples
pixels per date (``sample_pixels``, seeded; PIXELS_PER_DATE by default) so that whole scenes stay cheap.

Difficulty model: least squares of log(|r| + FLOOR) on the transformed features (``design_matrix``), sigma =
exp(fitted value): for r ~ N(0, s^2), E log|r| = log s - 0.64, so the fit is log s up to a constant that the
conformal multiplier absorbs. Linear rather than scikit-learn's HistGradientBoostingRegressor: on the demo's
FSDAF (11 dates left out in turn) the linear model's half-widths ranked |r| better in 5 of 6 bands (Spearman
0.32-0.51 against 0.26-0.45), and its coefficients are a few numbers per band, stored as JSON (never a pickle: the
pipeline unpickles no file). The pixels of each band are split at random (seeded) in two halves: the first fits
the coefficients, the second gives the conformal multipliers, with crepes' ``ConformalRegressor`` (normalized by
``sigmas``), so the multipliers are computed on residuals the coefficients did not see.

Two models per band, fitted on the same residuals: one with the methods' spread among its features, for the dates
that at least two methods predict, and one without, for the dates only one method predicts (the spread is
undefined there). A pixel whose spread is undefined takes the one without.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from crepes import ConformalRegressor

from ..errors import InputDataError
from ..io import write_text
from . import LEVELS, WRITTEN_LEVEL
from .features import RAW_FEATURES, PixelFeatures

FLOOR = 1e-4  # reflectance, the storage step of int16 x 10^4: keeps log finite where |r|, spread or change is 0
FORMAT = "stfusion-uncertainty-1"
PIXELS_PER_DATE = 2000  # sampled per prediction: 1 in 33 of the demo's 256 x 256 pixels, a few seconds a method
SPREAD_COLUMN = "log_spread"
COLUMNS = ("intercept", SPREAD_COLUMN, "log_coarse_change", "log1p_reference_days", "no_clear_reference",
           "coarse_filled", "log1p_coarse_days_to_clear", "log_heterogeneity")
WITH_SPREAD, WITHOUT_SPREAD = "with_spread", "without_spread"
_RAW = {name: i for i, name in enumerate(RAW_FEATURES)}


def design_matrix(raw: np.ndarray, with_spread: bool) -> np.ndarray:
    """The (n, columns) regressors of (n, RAW_FEATURES) raw features of one band: ``COLUMNS``, less the spread
    without it. Reflectance quantities enter as logs (a multiplicative scale), days as log(1 + days); a pixel with no
    clear reference (reference_days -1) has its own indicator and 0 days; a heterogeneity left NaN (no finite fine
    reference pixel in the window) counts as FLOOR."""
    days = raw[:, _RAW["reference_days"]]
    no_reference = days < 0
    columns = {"intercept": np.ones(len(raw)), SPREAD_COLUMN: np.log(raw[:, _RAW["spread"]] + FLOOR),
               "log_coarse_change": np.log(raw[:, _RAW["coarse_change"]] + FLOOR),
               "log1p_reference_days": np.log1p(np.where(no_reference, 0, days)),
               "no_clear_reference": no_reference.astype(float),
               "coarse_filled": (raw[:, _RAW["coarse_state"]] > 0).astype(float),
               "log1p_coarse_days_to_clear": np.log1p(raw[:, _RAW["coarse_days_to_clear"]]),
               "log_heterogeneity": np.log(np.nan_to_num(raw[:, _RAW["heterogeneity"]], nan=0.0) + FLOOR)}
    return np.stack([columns[name] for name in model_columns(with_spread)], axis=1)


def model_columns(with_spread: bool) -> tuple[str, ...]:
    """The regressors of the model with or without the spread."""
    return COLUMNS if with_spread else tuple(c for c in COLUMNS if c != SPREAD_COLUMN)


@dataclass(frozen=True)
class Samples:
    """Calibration pixels: ``dates`` (n,), ``features`` (n, bands, RAW_FEATURES), ``residuals`` (n, bands) =
    prediction - truth."""

    dates: np.ndarray
    features: np.ndarray
    residuals: np.ndarray

    def where(self, chosen: np.ndarray) -> "Samples":
        """The samples where the boolean (n,) ``chosen`` is true."""
        return Samples(self.dates[chosen], self.features[chosen], self.residuals[chosen])

    @staticmethod
    def concatenate(parts: Sequence["Samples"]) -> "Samples":
        """One set of the samples of several predictions."""
        return Samples(*(np.concatenate([getattr(p, name) for p in parts])
                         for name in ("dates", "features", "residuals")))


def sample_pixels(features: PixelFeatures, residual: np.ndarray, date: str, rng: np.random.Generator,
                  count: int = PIXELS_PER_DATE) -> Samples:
    """At most ``count`` pixels of one prediction of ``date``, drawn without replacement by ``rng`` among those
    whose residual (bands, rows, cols) is finite in every band and whose coarse image was in reach (quality band
    finite)."""
    bands = residual.shape[0]
    valid = np.isfinite(residual).all(axis=0).ravel() & np.isfinite(features.quality).all(axis=0).ravel()
    candidates = np.flatnonzero(valid)
    pixels = np.sort(rng.choice(candidates, size=min(count, len(candidates)), replace=False))
    return Samples(np.full(len(pixels), date), features.table(pixels), residual.reshape(bands, -1)[:, pixels].T)


@dataclass(frozen=True)
class BandModel:
    """One band's difficulty coefficients (over ``model_columns``) and conformal multiplier per level (q: the
    half-width is q sigma), with the numbers of pixels that fitted each."""

    coefficients: tuple[float, ...]
    multipliers: Mapping[float, float]
    fit_pixels: int
    calibration_pixels: int

    def sigma(self, design: np.ndarray) -> np.ndarray:
        """The difficulty estimate exp(design . coefficients)."""
        return np.exp(design @ np.asarray(self.coefficients))


@dataclass(frozen=True)
class UncertaintyModel:
    """The calibrated uncertainty of one method's predictions: per band the model with the spread (None when no
    calibration date had two methods) and the one without."""

    bands: tuple[str, ...]
    levels: tuple[float, ...]
    without_spread: Mapping[str, BandModel]
    with_spread: Mapping[str, BandModel] | None
    calibration: Mapping = field(default_factory=dict)

    def half_width_table(self, raw: np.ndarray, level: float = WRITTEN_LEVEL) -> np.ndarray:
        """(n, bands) half-widths at ``level`` of (n, bands, RAW_FEATURES) features: the model with the spread where
        the spread is finite, the one without elsewhere; NaN where a feature the model needs is NaN."""
        out = np.full(raw.shape[:2], np.nan)
        for b, band in enumerate(self.bands):
            has_spread = np.isfinite(raw[:, b, _RAW["spread"]])
            if has_spread.any() and self.with_spread is None:
                raise InputDataError(f"the uncertainty model of bands {', '.join(self.bands)} was calibrated on dates "
                                     "that one method alone predicts, so it has no model with the spread, but the "
                                     "features given have a spread (two methods or more predict the date): "
                                     "calibrate again with the residuals of every method of the site")
            for chosen, models, with_spread in ((has_spread, self.with_spread, True),
                                                (~has_spread, self.without_spread, False)):
                if chosen.any():
                    model = models[band]
                    out[chosen, b] = model.multipliers[level] * model.sigma(design_matrix(raw[chosen, b], with_spread))
        return out

    def half_width(self, features: PixelFeatures, level: float = WRITTEN_LEVEL) -> np.ndarray:
        """The (bands, rows, cols) half-width at ``level`` of every pixel of a prediction (float32)."""
        bands, rows, cols = features.shape
        return self.half_width_table(features.table(), level).T.reshape(bands, rows, cols).astype(np.float32)

    def to_json(self) -> dict:
        """Plain values only: coefficients, multipliers (levels as strings), pixel counts, calibration notes."""
        def band_models(models: Mapping[str, BandModel] | None):
            if models is None:
                return None
            return {band: {"coefficients": list(m.coefficients),
                           "multipliers": {str(level): q for level, q in m.multipliers.items()},
                           "fit_pixels": m.fit_pixels, "calibration_pixels": m.calibration_pixels}
                    for band, m in models.items()}

        return {"format": FORMAT, "bands": list(self.bands), "levels": list(self.levels),
                "columns": {WITH_SPREAD: list(model_columns(True)), WITHOUT_SPREAD: list(model_columns(False))},
                WITH_SPREAD: band_models(self.with_spread), WITHOUT_SPREAD: band_models(self.without_spread),
                "calibration": dict(self.calibration)}

    @classmethod
    def from_json(cls, data: Mapping) -> "UncertaintyModel":
        """The model ``to_json`` wrote."""
        def band_models(models: Mapping | None):
            if models is None:
                return None
            return {band: BandModel(tuple(m["coefficients"]), {float(k): q for k, q in m["multipliers"].items()},
                                    m["fit_pixels"], m["calibration_pixels"]) for band, m in models.items()}

        return cls(tuple(data["bands"]), tuple(data["levels"]), band_models(data[WITHOUT_SPREAD]),
                   band_models(data[WITH_SPREAD]), data["calibration"])


def save_model(path: str | Path, model: UncertaintyModel) -> None:
    """Write the model as JSON, atomically."""
    write_text(path, json.dumps(model.to_json(), indent=1))


def load_model(path: str | Path) -> UncertaintyModel:
    """Read a model ``save_model`` wrote; InputDataError naming the file when it is not one."""
    try:
        data = json.loads(Path(path).read_text())
        if data.get("format") != FORMAT or list(data.get("columns", {}).get(WITH_SPREAD, [])) != list(COLUMNS):
            raise ValueError(f"its format is {data.get('format')!r} with columns {data.get('columns')}, "
                             f"not {FORMAT!r} with {list(COLUMNS)}")
        return UncertaintyModel.from_json(data)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise InputDataError(f"{path} is not an uncertainty model of this stfusion ({type(err).__name__}: {err}): "
                             "delete it and rerun the uncertainty calibration that writes it") from err


def minimum_pixels(levels: Sequence[float]) -> int:
    """The fewest calibration pixels a band needs: the highest level's conformal quantile is finite from
    n >= 1 / (1 - level) - 1 residuals on (crepes: index int((1 - level)(n + 1)) - 1 >= 0), taken as
    ceil(1 / (1 - level)), in each half of the split."""
    return 2 * math.ceil(round(1 / (1 - max(levels)), 9))


def fit_band(design: np.ndarray, residual: np.ndarray, levels: Sequence[float], rng: np.random.Generator) -> BandModel:
    """Least squares of log(|r| + FLOOR) on the first half of the pixels (a seeded random split), the conformal
    multiplier of each level from crepes on the second half."""
    order = rng.permutation(len(residual))
    fit, calibrate = order[: len(order) // 2], order[len(order) // 2:]
    coefficients = np.linalg.lstsq(design[fit], np.log(np.abs(residual[fit]) + FLOOR), rcond=None)[0]
    conformal = ConformalRegressor().fit(residual[calibrate], sigmas=np.exp(design[calibrate] @ coefficients))
    multipliers = {level: float(conformal.predict_int(np.zeros(1), sigmas=np.ones(1), confidence=level)[0, 1])
                   for level in levels}
    return BandModel(tuple(float(c) for c in coefficients), multipliers, len(fit), len(calibrate))


def fit(samples: Samples, bands: Sequence[str], what: str, levels: Sequence[float] = LEVELS,
        seed: int = 0) -> UncertaintyModel:
    """Calibrate both models of every band on ``samples`` (the module docstring says how); ``what`` names the
    calibration data in errors (e.g. "method fsdaf of site demo"). InputDataError when the residuals are all NaN or
    a band has fewer usable pixels than ``minimum_pixels``."""
    if not np.isfinite(samples.residuals).any():
        raise InputDataError(f"every calibration residual of {what} is NaN: the predictions and the truth of its "
                             f"held-out dates ({', '.join(sorted(set(map(str, samples.dates)))) or 'none'}) share no "
                             "finite pixel. Look at those predictions and at the truth's cloud and nodata masks")
    rng = np.random.default_rng(seed)
    models = {WITH_SPREAD: {}, WITHOUT_SPREAD: {}}
    for b, band in enumerate(bands):
        raw, residual = samples.features[:, b], samples.residuals[:, b]
        usable = np.isfinite(residual) & np.isfinite(raw[:, _RAW["coarse_change"]]) \
            & np.isfinite(raw[:, [_RAW["reference_days"], _RAW["coarse_state"], _RAW["coarse_days_to_clear"]]]).all(1)
        has_spread = usable & np.isfinite(raw[:, _RAW["spread"]])
        for name, chosen, with_spread in ((WITHOUT_SPREAD, usable, False), (WITH_SPREAD, has_spread, True)):
            if with_spread and not has_spread.any():
                continue
            require_pixels(int(chosen.sum()), levels, f"{what}, band {band}, model {name}")
            models[name][band] = fit_band(design_matrix(raw[chosen], with_spread), residual[chosen], levels, rng)
    notes = {"dates": sorted(set(map(str, samples.dates))), "pixels": int(len(samples.residuals)), "seed": seed}
    return UncertaintyModel(tuple(bands), tuple(levels), models[WITHOUT_SPREAD], models[WITH_SPREAD] or None, notes)


def require_pixels(count: int, levels: Sequence[float], what: str) -> None:
    """InputDataError unless ``count`` calibration pixels are enough (``minimum_pixels``)."""
    needed = minimum_pixels(levels)
    if count < needed:
        raise InputDataError(f"only {count} calibration pixels of {what} have a finite residual and finite features; "
                             f"split-conformal calibration needs at least {needed} (half to fit the difficulty model, "
                             f"half for the {max(levels):.0%} quantile): calibrate on more held-out dates or sample "
                             "more pixels per date")
