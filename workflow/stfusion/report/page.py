"""The report page: a header, one section per site (scene inventory, then each experiment's tables, images,
learning curves and run times), inline CSS and no external file, script or link."""
from __future__ import annotations

from html import escape
from typing import Mapping

import pandas as pd

from .. import __version__
from . import figures
from .comparison import comparison_html
from .ensemble import ensembles_html
from .experiments import Experiment, load_fusion, load_spectral, load_sts
from .markup import details, figure, note
from .marks import MEAN, marked, marks_legend
from .series_view import series_html
from .uncertainty_view import uncertainty_html
from .tables import inventory_table, metric_legend, metric_table, own_dates_table, runtime_table

INVENTORY_OPEN_ROWS = 40  # longer inventories start folded

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1280px;
       padding: 0 24px 48px; color: #1d232a; line-height: 1.4; }
h1 { margin-top: 24px; } h2 { border-bottom: 2px solid #2b6cb0; padding-bottom: 4px; margin-top: 48px; }
h3 { margin-top: 32px; color: #2b6cb0; } h4 { margin: 20px 0 6px; }
nav a { margin-right: 16px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid #d8dee4; padding: 3px 10px; text-align: left; white-space: nowrap; }
.n { text-align: right; }
thead th { background: #edf2f7; border-bottom: 2px solid #a0aec0; }
tbody th { text-align: left; font-weight: 500; }
tr.dropped { background: #fdecea; }
figure { margin: 12px 0 24px; } figure img { max-width: 100%; height: auto; }
figcaption { font-size: 13px; color: #4a5568; max-width: 1000px; }
details { margin: 8px 0; } summary { cursor: pointer; color: #2b6cb0; }
.note { background: #fffbea; border-left: 4px solid #d69e2e; padding: 6px 12px; }
.legend { font-size: 13px; color: #4a5568; }
"""


def build_report(sites: Mapping[str, Mapping], sensors: Mapping | None = None) -> str:
    """The whole page. ``sites``: per site the files of its inventory and experiments (workflow/rules/report.smk);
    ``sensors``: the config's sensor definitions (band centres for composites and NDVI)."""
    sections = [site_section(name, files, sensors) for name, files in sites.items()]
    links = "".join(f'<a href="#site-{escape(name)}">{escape(name)}</a>' for name in sites)
    none = "" if any(f.get("fusion") or f.get("sts") or f.get("spectral") for f in sites.values()) else note(
        "No site of this config has fusion results yet: no method is configured for any site.")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>stfusion report</title>'
            f"<style>{CSS}</style></head><body><h1>stfusion report</h1>"
            f"<p>stfusion {escape(__version__)}; {len(sites)} site(s).</p><nav>{links}</nav>{none}"
            f"{''.join(sections)}</body></html>")


def site_section(name: str, files: Mapping, sensors: Mapping | None) -> str:
    """A site: its scene inventory, then its spatiotemporal, spatio-temporal-spectral and spectral experiments."""
    parts = [f'<section id="site-{escape(name)}"><h2>Site {escape(name)}</h2><h3>Scenes</h3>']
    if files.get("inventory"):
        inventory = pd.read_csv(files["inventory"], sep="\t", dtype={"date": str})
        kept = int(inventory.kept.sum())
        parts.append(details(f"{len(inventory)} scenes: {kept} kept, {len(inventory) - kept} dropped",
                             inventory_table(inventory), open_=len(inventory) <= INVENTORY_OPEN_ROWS))
    else:
        parts.append(note("No scene rows: this site's experiments read their own rasters."))
    loaders = (("fusion", load_fusion), ("sts", load_sts), ("spectral", load_spectral))
    experiments = [load(files[key], sensors) for key, load in loaders if files.get(key)]
    parts += [experiment_html(e) for e in experiments]
    if not experiments:
        parts.append(note("No fusion method is configured for this site: scenes only."))
    return "".join(parts) + "</section>"


OWN_DATES_LEGEND = ("Each method's mean over the dates it holds out and, for a trained method, over its validation "
                    "targets (their predictions chose the weights it kept, so they flatter it). Not ranked: the "
                    "methods' dates differ; the table above compares them.")


def mean_heading(dates: list[str] | None) -> str:
    """The heading of an experiment's mean table, with the dates it averages where they are listed."""
    if dates is None:
        return "Held-out mean"
    if not dates:
        return "Held-out mean: no date is held out by every method"
    return f"Held-out mean over the {len(dates)} date{'s' if len(dates) > 1 else ''} every method holds out ({', '.join(dates)})"


def experiment_html(experiment: Experiment) -> str:
    """An experiment: the held-out mean table, the per-date tables and each method's own dates (folded), the images
    of one held-out date,
    the time series, learning curves and run times; methods marked where worse than the best naive baseline or kept their start."""
    def table(frame: pd.DataFrame, key: str, caption: str = "") -> str:
        return metric_table(marked(frame, experiment.worse.get(key, set()), experiment.kept_start), caption)

    legend = " ".join(filter(None, [metric_legend(list(experiment.mean.columns)),
                                    marks_legend(experiment.naive, experiment.kept_start)]))
    parts = [f"<h3>{escape(experiment.title)}</h3>", f"<h4>{escape(mean_heading(experiment.mean_dates))}</h4>",
             table(experiment.mean, MEAN), f'<p class="legend">{escape(legend)}</p>']
    if experiment.per_date:
        parts.append(details(f"Per date ({len(experiment.per_date)})",
                             "".join(table(frame, caption, caption) for caption, frame in experiment.per_date.items())))
    if experiment.own_dates is not None and not experiment.own_dates.empty:
        parts.append(details("Each method over its own dates", own_dates_table(experiment.own_dates)
                             + f'<p class="legend">{escape(OWN_DATES_LEGEND)}</p>'))
    worse = sorted(experiment.worse.get(MEAN, set()))
    if worse:
        parts.append(note(f"On the held-out mean, {', '.join(worse)} score{'s' if len(worse) == 1 else ''} worse than the best naive baseline "
                          f"({', '.join(experiment.naive)}): at this site they add no skill over a naive baseline."))
    parts += [note(text) for text in experiment.notes]
    if experiment.ensembles is not None:
        parts.append(ensembles_html(experiment.ensembles))
    if experiment.images is not None:
        parts += [f"<h4>Images of {escape(experiment.images.date)} (held out)</h4>", comparison_html(experiment.images)]
    if experiment.uncertainty is not None:
        parts.append(uncertainty_html(experiment.uncertainty))
    if experiment.series is not None:
        parts.append(series_html(experiment.series))
    if experiment.histories:
        parts += ["<h4>Learning curves</h4>",
                  figure(figures.learning_curves(experiment.histories), "Training and validation loss per epoch (log scale).")]
    shared = " (autoencoder: the feature extractor that the EDCSTFN methods share)" if "autoencoder" in experiment.runtimes.index else ""
    jobs = ("every training job and prediction job of a method (one prediction job per reference group: the dates "
            "predicted from the same reference pairs)")
    parts += ["<h4>Run times</h4>", runtime_table(experiment.runtimes),
              f'<p class="legend">From Snakemake\'s benchmark files: {jobs}{shared}.</p>']
    return "".join(parts)
