"""The report's figures as PNG bytes (matplotlib, Agg): panels side by side, one scale per figure."""
from __future__ import annotations

import io
import math
from typing import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # noqa: E402

PANEL_INCHES = 2.6
DPI = 90
MAX_COLUMNS = 4
SCATTER_BINS = 120
SCATTER_MAX_VALUES = 2_000_000  # values per method (bands x pixels), taken with an even stride beyond that


def to_png(fig: plt.Figure) -> bytes:
    """The figure as PNG bytes, without matplotlib's software tag; the figure is closed."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _panels(count: int, colorbar: bool = False) -> tuple[plt.Figure, list[plt.Axes]]:
    """A grid of square panels, at most MAX_COLUMNS wide; unused panels are hidden."""
    columns = min(count, MAX_COLUMNS)
    rows = math.ceil(count / columns)
    width = PANEL_INCHES * columns + (0.8 if colorbar else 0.0)
    fig, axes = plt.subplots(rows, columns, figsize=(width, PANEL_INCHES * rows + 0.3), squeeze=False, layout="constrained")
    flat = list(axes.ravel())
    for ax in flat[count:]:
        ax.set_visible(False)
    return fig, flat[:count]


def composites(pictures: Mapping[str, np.ndarray]) -> bytes:
    """RGBA pictures (rows, cols, 4), one panel each, titled by their key."""
    fig, axes = _panels(len(pictures))
    for ax, (title, picture) in zip(axes, pictures.items()):
        ax.imshow(picture, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
    return to_png(fig)


def scalar_maps(maps: Mapping[str, np.ndarray], cmap: str, limits: tuple[float, float], label: str) -> bytes:
    """Single-band maps on one colour scale (``limits``), with one colour bar labelled ``label``."""
    fig, axes = _panels(len(maps), colorbar=True)
    for ax, (title, values) in zip(axes, maps.items()):
        shown = ax.imshow(values, cmap=cmap, vmin=limits[0], vmax=limits[1], interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
    fig.colorbar(shown, ax=axes, label=label, shrink=0.8, fraction=0.05, pad=0.02)
    return to_png(fig)


def density_scatters(truth: np.ndarray, predictions: Mapping[str, np.ndarray]) -> bytes:
    """Per method a 2-D histogram of prediction against truth over every band and pixel, on one log colour
    scale and the same axes, with the 1:1 line."""
    upper = float(np.nanpercentile(truth, 99.9)) * 1.05
    edges = np.linspace(0.0, upper, SCATTER_BINS + 1)
    histograms = {}
    for method, prediction in predictions.items():
        t, p = truth.ravel(), prediction.ravel()
        step = max(1, t.size // SCATTER_MAX_VALUES)
        t, p = t[::step], p[::step]
        ok = np.isfinite(t) & np.isfinite(p)
        histograms[method] = np.histogram2d(t[ok], p[ok], bins=[edges, edges])[0].T
    norm = LogNorm(vmin=1, vmax=max(1.0, max(h.max() for h in histograms.values())))
    fig, axes = _panels(len(histograms), colorbar=True)
    for ax, (method, counts) in zip(axes, histograms.items()):
        shown = ax.pcolormesh(edges, edges, np.ma.masked_equal(counts, 0), norm=norm, cmap="viridis")
        ax.plot([0, upper], [0, upper], color="0.4", linewidth=0.8)
        ax.set(title=method, xlabel="truth", ylabel="prediction", aspect="equal", xlim=(0, upper), ylim=(0, upper))
        ax.title.set_fontsize(10)
    fig.colorbar(shown, ax=axes, label="pixels x bands", shrink=0.8, fraction=0.05, pad=0.02)
    return to_png(fig)


def learning_curves(histories: Mapping[str, pd.DataFrame]) -> bytes:
    """Per trained model (history.csv), log scale: training (solid) and validation (dashed) loss and the validation
    RMSE (dotted) per epoch, as in the learning curves of Tan et al. (2019), Figures 6 and 10, and a vertical line
    at the kept epoch (the lowest validation RMSE; epoch 0 is the start)."""
    fig, axes = _panels(len(histories))
    curves = {"training": ("train_loss", "-"), "validation": ("validation_loss", "--"),
              "validation RMSE": ("validation_rmse", ":")}
    for ax, (model, history) in zip(axes, histories.items()):
        shown = {label: column for label, (column, _) in curves.items() if column in history}
        for label, column in shown.items():
            ax.plot(history.epoch, history[column], curves[label][1], label=label)
        if "kept" in history and history.kept.any():
            ax.axvline(history.epoch[history.kept].iloc[0], color="grey", linewidth=0.8, label="kept")
        values = history[list(shown.values())].to_numpy(dtype=float)
        positive = values[values > 0]  # a loss of exactly 0 (identical images) has no place on a log scale
        ax.set(title=model, xlabel="epoch", ylabel="loss, RMSE", yscale="log" if positive.size else "linear")
        if positive.size:
            ticks = sorted({float(f"{t:.2g}") for t in np.geomspace(positive.min(), positive.max(), 5)})
            ax.set_yticks(ticks, [f"{t:g}" for t in ticks], fontsize=8)  # five plain labels, not 2.6 x 10^-1
            ax.minorticks_off()
        ax.title.set_fontsize(10)
    axes[0].legend(fontsize=8)
    return to_png(fig)


Curve = tuple[list[str], np.ndarray]  # ISO dates, values (dates, pixels)


def _days(dates: list[str]) -> pd.DatetimeIndex:
    return pd.to_datetime(dates)


def pixel_series(pixels: list[str], quantities: Mapping[str, Mapping[str, object]]) -> bytes:
    """One row of panels per sample pixel (``pixels``: their labels), one column per quantity (NDVI, a band):
    each method's fused series as a line, the fine observations as black diamonds and the gap-filled coarse images'
    values as grey circles, filled where the coarse pixel was observed and hollow where it was filled.
    ``quantities``: per quantity {"methods": {method: Curve}, "fine": Curve, "observed": Curve, "filled": Curve}."""
    columns = len(quantities)
    fig, axes = plt.subplots(len(pixels), columns, figsize=(5.2 * columns, 2.2 * len(pixels) + 0.6), squeeze=False,
                             sharex=True, layout="constrained")
    for column, (quantity, curves) in enumerate(quantities.items()):
        for row, label in enumerate(pixels):
            ax = axes[row, column]
            for method, (dates, values) in curves["methods"].items():
                ax.plot(_days(dates), values[:, row], linewidth=1.2, label=method)
            for key, style in (("observed", dict(facecolors="0.45")), ("filled", dict(facecolors="none"))):
                dates, values = curves[key]
                ax.scatter(_days(dates), values[:, row], s=18, edgecolors="0.45", zorder=3,
                           label=f"coarse, {key}", **style)
            dates, values = curves["fine"]
            ax.scatter(_days(dates), values[:, row], marker="D", s=22, color="black", zorder=4, label="fine")
            ax.set_ylabel(quantity if column else f"{label}\n{quantity}", fontsize=9)
            ax.tick_params(labelsize=8)
        locator = AutoDateLocator(maxticks=8)
        axes[-1, column].xaxis.set(major_locator=locator, major_formatter=ConciseDateFormatter(locator))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncols=len(labels), fontsize=8, frameon=False)
    return to_png(fig)


def filled_shares(dates: list[str], between: np.ndarray, one_side: np.ndarray) -> bytes:
    """Per date the share (%) of the coarse pixels filled between two clear observations and from one side,
    stacked bars."""
    fig, ax = plt.subplots(figsize=(max(4.0, 0.18 * len(dates) + 1.5), 2.6), layout="constrained")
    positions = np.arange(len(dates))
    ax.bar(positions, 100 * between, color="#2b6cb0", label="filled between")
    ax.bar(positions, 100 * one_side, bottom=100 * between, color="#d69e2e", label="filled from one side")
    step = max(1, len(dates) // 12)
    ax.set_xticks(positions[::step], dates[::step], rotation=45, ha="right", fontsize=8)
    ax.set(ylabel="coarse pixels (%)", ylim=(0, 100))
    ax.legend(fontsize=8)
    return to_png(fig)
