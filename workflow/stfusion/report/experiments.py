"""A site's result files read into what the report shows: metric tables, the rasters of one held-out date,
learning curves and run times. ``files`` mappings are built by workflow/rules/report.smk."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ..benchmarks import job_usage
from ..evaluation import HELD_OUT, common_held_out_dates, truth_bands
from ..io import read_raster
from ..sensors import load_sensor
from .ensemble import Ensembles, load_ensembles
from .marks import PRIMARY, worse_marks
from .series import SiteSeries, load_series
from .uncertainty_view import SiteUncertainty, load_uncertainty


@dataclass
class Images:
    """The truth and every method's prediction of one date, (bands, rows, cols), and the band centres (nm)."""

    date: str
    truth: np.ndarray
    predictions: dict[str, np.ndarray]
    centres_nm: list[float]


@dataclass
class Experiment:
    """What the report shows of one experiment of a site."""

    title: str
    mean: pd.DataFrame  # methods x metrics, averaged over the dates every method holds out
    per_date: dict[str, pd.DataFrame]  # caption -> methods x metrics
    images: Images | None
    histories: dict[str, pd.DataFrame]  # model (its methods) -> epoch, train_loss, validation_loss
    runtimes: pd.DataFrame  # method -> jobs, total, longest, peak memory
    notes: list[str] = field(default_factory=list)
    naive: list[str] = field(default_factory=list)  # the naive baselines among the methods
    worse: dict[str, set[str]] = field(default_factory=dict)  # table (per-date caption or marks.MEAN) -> methods
    kept_start: set[str] = field(default_factory=set)  # deep methods whose training kept its start
    mean_dates: list[str] | None = None  # the dates of ``mean`` where they are listed (spatiotemporal fusion)
    own_dates: pd.DataFrame | None = None  # (method, role) x metrics: each method over its own dates, not ranked
    series: SiteSeries | None = None  # the fused time series at a few sample pixels (spatiotemporal fusion)
    ensembles: Ensembles | None = None  # cross-validated scores per band and the ensembles' weights (spatiotemporal)
    uncertainty: SiteUncertainty | None = None  # reliability and uncertainty maps (spatiotemporal fusion)


def read_scores(paths: Mapping[str, str]) -> pd.DataFrame:
    """The tidy metric CSVs of a site's methods, as one frame."""
    return pd.concat([pd.read_csv(path, dtype={"date": str}) for path in paths.values()], ignore_index=True)


def middle_date(dates: list[str]) -> str | None:
    """The middle one of the sorted dates (the later of two middles), or None."""
    return sorted(dates)[len(dates) // 2] if dates else None


def read_runtimes(benchmarks: Mapping[str, list[str]]) -> pd.DataFrame:
    """Per label (method) the number of jobs, their total and longest run time (s) and peak memory (MB), from
    Snakemake's benchmark files."""
    rows = {}
    for label, paths in benchmarks.items():
        if not paths:
            continue
        jobs = pd.DataFrame([job_usage(path) for path in paths])
        rows[label] = {"jobs": len(jobs), "total (s)": jobs.job_seconds.sum(), "longest job (s)": jobs.job_seconds.max(),
                       "peak memory (MB)": jobs.job_max_rss_mb.max()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")


def centres_of(sensor_name: str, band_names: list[str], sensors: Mapping | None) -> list[float]:
    """Centre wavelengths (nm) of a sensor's bands by name (``sensors``: the config's sensor definitions)."""
    centre = {band.name: band.centre_nm for band in load_sensor(sensor_name, sensors).bands}
    return [centre[name] for name in band_names]


def kept_starts(histories: dict[str, pd.DataFrame]) -> set[str]:
    """The methods whose saved weights are their start: the ``kept`` epoch of ``history.csv`` is epoch 0
    (``train.fit`` counts the initial weights' validation loss as epoch 0); the autoencoder is not a method."""
    return {method for method, history in histories.items()
            if method != "autoencoder" and "kept" in history and history.loc[history.epoch == 0, "kept"].astype(bool).any()}


def readers_of(histories: Mapping[str, str]) -> dict[str, list[str]]:
    """Per history file the methods that read its model (several where their training settings are identical:
    stfusion.shared_models), so that a shared model's learning curve is drawn once."""
    readers: dict[str, list[str]] = {}
    for method, path in histories.items():
        readers.setdefault(path, []).append(method)
    return readers


def load_fusion(files: Mapping, sensors: Mapping | None) -> Experiment:
    """The spatiotemporal experiment: summary.tsv (means over the dates every method holds out),
    summary_own_dates.tsv (each method over its own dates), the tidy metrics per held-out date, the truth and
    predictions of the middle date held out by every method, the fused series at a few pixels (``series``), the
    cross-validated scores and ensemble weights (``cross_validation``, ``ensembles``) and the per-pixel uncertainty's
    reliability and maps (``uncertainty``)."""
    mean = pd.read_csv(files["summary"], sep="\t", index_col="method")
    metrics = [c for c in mean.columns if c != "dates"]
    own = pd.read_csv(files["own_dates"], sep="\t", index_col=["method", "role"])
    scores = read_scores(files["scores"])
    held = scores[(scores.role == HELD_OUT) & (scores.band == "all") & scores.metric.isin(metrics)]
    per_date = {
        f"{date} (held out)": group.pivot_table(index="method", columns="metric", values="value")[metrics]
        for date, group in held.groupby("date")
    }
    shared = common_held_out_dates(scores)
    primary = held[held.metric == PRIMARY].pivot_table(index="method", columns="date", values="value")
    worse = worse_marks(primary, files["naive"], {f"{date} (held out)": date for date in primary.columns}, shared)
    methods = list(files["scores"])
    date = middle_date(shared)
    notes = [] if date else ["No date is held out by every method (a deep method's training and validation targets "
                             "are not held out): no means to compare and no images; see each method over its own "
                             "dates."]
    images = None
    bands = json.loads(Path(files["bands"]).read_text())
    centres = centres_of(bands["fine"], [pair["fine"] for pair in bands["bands"]], sensors)
    if date:
        truth = truth_bands(read_raster(files["truths"][date]), bands["bands"])
        predictions = {m: read_raster(files["predictions"][m][date]).data for m in methods}
        images = Images(date, truth, predictions, centres)
    uncertainty = files.get("uncertainty") and load_uncertainty(
        files["uncertainty"]["reliability"], files["uncertainty"]["maps"], date,
        images.truth if images else None, images.predictions if images else {})
    series = load_series(files["series"], [pair["name"] for pair in bands["bands"]], centres) if files.get("series") else None
    readers = readers_of(files["histories"])
    frames = {path: pd.read_csv(path) for path in readers}
    histories = {method: frames[path] for method, path in files["histories"].items()}
    curves = {" = ".join(names): frames[path] for path, names in readers.items()}
    notes += [f"{', '.join(names)} have identical training settings and read one model, trained once: its learning "
              "curve is drawn once and its training job counts in each one's run time."
              for names in readers.values() if len(names) > 1]
    return Experiment(f"Spatiotemporal fusion ({bands['fine']} from {bands['coarse']})", mean, per_date, images,
                      curves, read_runtimes(files["benchmarks"]), notes, files["naive"], worse,
                      kept_start=kept_starts(histories), mean_dates=shared, own_dates=own, series=series,
                      ensembles=load_ensembles(files["cross_validation"], files["ensembles"]),
                      uncertainty=uncertainty or None)


def load_sts(files: Mapping, sensors: Mapping | None) -> Experiment:
    """The spatio-temporal-spectral experiment: sts/summary.tsv (per date and held-out mean), and the truth and
    predictions of the middle held-out date; STS-MTL's learning curve from its training record."""
    summary = pd.read_csv(files["summary"], sep="\t", dtype={"date": str}).set_index("method")
    scores = read_scores(files["scores"])
    held_out = set(scores[scores.held_out].date)
    mean = summary[summary.date == "held-out mean"].drop(columns="date")
    per_date = {
        f"{date} ({'held out' if date in held_out else 'observed'})": group.drop(columns=["date", "seconds"])
        for date, group in summary[summary.date.isin(set(scores.date))].groupby("date")
    }
    primary = scores[scores.held_out].pivot_table(index="method", columns="date", values=PRIMARY)
    worse = worse_marks(primary, files["naive"], {f"{date} (held out)": date for date in primary.columns})
    date = middle_date(sorted(held_out))
    images = None
    if date:
        truth = read_raster(files["truths"][date])
        predictions = {m: read_raster(dates[date]).data for m, dates in files["predictions"].items()}
        images = Images(date, truth.data, predictions, centres_of(files["sensor"], truth.names, sensors))
    histories = {}
    for method, path in files["trainings"].items():
        record = json.loads(Path(path).read_text())
        if record.get("history"):
            histories[method] = pd.DataFrame(record["history"])
    notes = [] if date else ["No held-out date: no images."]
    return Experiment(f"Spatio-temporal-spectral fusion ({files['sensor']})", mean, per_date, images, histories,
                      read_runtimes(files["benchmarks"]), notes, files["naive"], worse)


def load_spectral(files: Mapping, sensors: Mapping | None) -> Experiment:
    """The spectral super-resolution experiment (Wald's protocol, one date): spectral/summary.tsv and the real
    hyperspectral image against each method's prediction."""
    mean = pd.read_csv(files["summary"], sep="\t").set_index("method").drop(columns="seconds", errors="ignore")
    truth = read_raster(files["truth"])
    predictions = {m: read_raster(path).data for m, path in files["predictions"].items()}
    images = Images("the real hyperspectral image", truth.data, predictions,
                    centres_of(files["sensor"], truth.names, sensors))
    return Experiment(f"Spectral super-resolution ({files['sensor']}, Wald's protocol)", mean, {}, images, {},
                      read_runtimes(files["benchmarks"]))
