"""How well the coarse gap filling (``stfusion.gapfill.fill_linear``) would replace a missing MODIS composite of the
real NDVI year, measured by leaving each one out.

The composites of ``resources/samples/ifsdaf_ndvi_crop`` (23 MODIS 16-day NDVI composites of 2015, 24 x 24 pixels
of 240 m) have no gap on the crop, so a run of ``config/examples/ifsdaf_ndvi.yaml`` fills nothing. Here each
composite with a neighbour on both sides (21 of 23) is hidden in turn and made from its neighbours 16 days before and
after, as the pipeline makes a date whose scene is missing or masked (``gap_filling.max_gap_days``, default 30, covers
the 16 days; two missing composites in a row would be 32 days apart and stay NaN). RMSE in NDVI units against the
hidden composite, beside that of the composite before it held (what a one-sided fill gives).

Run: ``python bench/gapfill_ndvi.py [--json]``; it prints a Markdown table (one row per hidden composite and the
mean), or with ``--json`` a JSON list with one object per hidden date (``date``, ``rmse_filled``,
``rmse_previous``).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import rasterio

from stfusion.gapfill import days_between, fill_linear

SAMPLE = Path(__file__).resolve().parents[1] / "resources/samples/ifsdaf_ndvi_crop"
MAX_GAP_DAYS = 30  # the default of gap_filling.max_gap_days


def composites() -> dict[str, np.ndarray]:
    """{date: NDVI (1, rows, cols), NaN at nodata} of every composite of the sample, by date."""
    series = {}
    for path in sorted(SAMPLE.glob("modis_ndvi_*.tif")):
        with rasterio.open(path) as src:
            series[src.tags()["date"]] = src.read(masked=True).astype("float64").filled(np.nan) * 1e-4
    return series


def leave_one_out(series: dict[str, np.ndarray]) -> list[dict]:
    """Per composite with a neighbour on each side: the RMSE of its gap-filled stand-in and of the previous one."""
    dates = list(series)
    rows = []
    for before, date, after in zip(dates, dates[1:], dates[2:]):
        images = np.stack([series[before], series[after]])
        offsets = [-days_between(date, before), days_between(after, date)]
        filled, _ = fill_linear(images, offsets, MAX_GAP_DAYS)
        truth = series[date]
        rows.append({"date": date, "rmse_filled": float(np.sqrt(np.nanmean((filled - truth) ** 2))),
                     "rmse_previous": float(np.sqrt(np.nanmean((series[before] - truth) ** 2)))})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a Markdown table")
    rows = leave_one_out(composites())
    if parser.parse_args().json:
        print(json.dumps(rows, indent=1))
        return
    print("| hidden composite | RMSE, filled from its neighbours | RMSE, previous composite held |\n|---|---|---|")
    for row in rows:
        print(f"| {row['date']} | {row['rmse_filled']:.4f} | {row['rmse_previous']:.4f} |")
    print(f"| mean of {len(rows)} | {np.mean([r['rmse_filled'] for r in rows]):.4f} | "
          f"{np.mean([r['rmse_previous'] for r in rows]):.4f} |")


if __name__ == "__main__":
    main()
