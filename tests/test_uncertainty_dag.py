"""What is held out in the DAG (issue 26), on one tiny project of four pairs, two naive methods and their stacked
ensemble: every prediction gets its `{date}_uncertainty.tif`, the leave-one-date-out 90 % intervals cover about 90 %
of held-out pixels, and the ensemble's prediction of a fitting date is its members' combined with the weights fitted
without that date."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import rasterio

from conftest import read_nan, snakemake
from stfusion.ensemble.stacking import combine, leave_one_date_out, moments
from stfusion.uncertainty.calibration import PIXELS_PER_DATE
from test_bad_input import BOUNDS, SITE, UTM, Scenario, landsat_qa, modis, write_raster
from rasterio.transform import from_origin

PAIRS = ["2021-06-01", "2021-06-17", "2021-07-03", "2021-07-19"]
METHODS = {"nearest_reference": {"model": "nearest_reference", "references": 1},  # naive: jobs of seconds
           "coarse_upsampled": {"model": "coarse_upsampled", "references": 1}}
ENSEMBLE = {"stack": {"model": "ensemble"}}  # of both


def fine_scene(path, seed: int) -> None:
    """A Landsat-like scene: one smooth landscape, and pixel noise that differs from date to date (``seed``), so that
    the dates are alike (exchangeable, as conformal calibration assumes) and no two are equal."""
    rows = np.linspace(0, 3, 68)[:, None]
    field = np.sin(rows + 1) * np.cos(rows.T + 2)
    data = 1500 + 800 * field[None] + np.random.default_rng(seed).normal(0, 150, (7, 68, 68))
    write_raster(path, data.astype("int16"), UTM, from_origin(BOUNDS[0] - 60, BOUNDS[3] + 60, 30, 30), nodata=-9999)


@pytest.fixture(scope="module")
def four_pairs(tmp_path_factory) -> Scenario:
    """Four fine and coarse pairs 16 days apart, the two naive methods and their ensemble, run up to the site's summary
    and the uncertainty of every prediction (each pair date is predicted from its neighbour and held out). What it
    buys: the ensemble and the uncertainty rules run for real in about 50 s of jobs."""
    scenario = Scenario(tmp_path_factory.mktemp("uncertainty") / "work", rasters=False)
    landsat_qa(scenario.path("data/landsat_qa.tif"))
    modis(scenario.path("data/modis.tif"))
    scenario.rows = []
    for k, date in enumerate(PAIRS):
        fine_scene(scenario.path(f"data/landsat_{k}.tif"), k)
        scenario.rows += [{"site": SITE, "sensor": "landsat8_oli", "date": date, "path": f"data/landsat_{k}.tif",
                           "qa": "data/landsat_qa.tif"},
                          {"site": SITE, "sensor": "modis", "date": date, "path": "data/modis.tif", "qa": ""}]
    scenario.config["pairing"] = {"window_days": 20, "validation_fraction": 0.5}
    scenario.config["methods"] = {**METHODS, **ENSEMBLE}
    scenario.write()  # targets before --configfile, which takes every argument after it
    targets = [f"results/{SITE}/predictions/{m}/{d}_uncertainty.tif" for m in [*METHODS, *ENSEMBLE] for d in PAIRS]
    targets.append(f"results/{SITE}/metrics/summary.tsv")
    result = snakemake(scenario.workdir, *targets, "--configfile", str(scenario.path("config.yaml")), check=False)
    assert result.returncode == 0, scenario.messages(result)[-3000:]
    return scenario


def test_every_prediction_has_its_uncertainty_beside_it(four_pairs):
    folder = four_pairs.results() / SITE / "predictions"
    for method in [*METHODS, *ENSEMBLE]:
        for prediction in [folder / method / f"{d}.tif" for d in PAIRS]:
            with rasterio.open(prediction) as src, rasterio.open(prediction.with_name(f"{prediction.stem}_uncertainty.tif")) as unc:
                assert unc.descriptions == src.descriptions and unc.transform == src.transform
                widths, values = unc.read(), src.read()
                assert unc.tags()["level"] == "0.9"
                assert (np.isfinite(widths) == np.isfinite(values)).all() and (widths[np.isfinite(widths)] > 0).all()


def test_held_out_90_percent_intervals_cover_90_percent_of_pixels(four_pairs):
    """Leave one date out: each method's coverage, pooled over dates and bands, is 0.9 within 3 binomial standard
    errors of one date's sample of one band (PIXELS_PER_DATE pixels drawn independently; the bands of a pixel and
    the pixels of a date share the date's calibration, so the pooled values are not independent draws)."""
    for method in METHODS:
        table = pd.read_csv(four_pairs.results() / SITE / "uncertainty" / method / "reliability.tsv", sep="\t")
        row = table[(table.band == "all") & (table.stated == 0.9)].iloc[0]
        tolerance = 3 * np.sqrt(0.9 * 0.1 / PIXELS_PER_DATE)
        assert abs(row.observed - 0.9) <= tolerance, (method, row.observed, row.pixels)


def test_a_held_out_date_is_predicted_with_the_weights_fitted_without_it(four_pairs):
    results = four_pairs.results() / SITE
    fitted = json.loads((results / "ensemble/stack/weights.json").read_text())
    assert fitted["members"] == list(METHODS) and fitted["fitting_dates"] == PAIRS
    bands = [pair["name"] for pair in json.loads((results / "matched/bands.json").read_text())["bands"]]

    def members(date):
        return np.stack([read_nan(results / f"predictions/{m}/{date}.tif") for m in METHODS])

    truths = {d: read_nan(results / f"matched/landsat8_oli/{d}.tif") for d in PAIRS}
    expected = leave_one_date_out({d: moments(members(d), truths[d]) for d in PAIRS}, bands)
    held = PAIRS[1]
    assert np.allclose([[fitted["without"][held][b][m] for m in METHODS] for b in bands], expected.without[held])
    assert np.allclose(read_nan(results / f"predictions/stack/{held}.tif"), combine(members(held), expected.of(held)),
                       atol=1e-6, equal_nan=True)
    quality = read_nan(results / f"predictions/stack/{held}_quality.tif")
    member_quality = read_nan(results / f"predictions/nearest_reference/{held}_quality.tif")
    assert np.array_equal(quality[:2], member_quality[:2], equal_nan=True)  # the same coarse image


def test_the_ensemble_is_scored_held_out_on_its_fitting_dates_in_the_cross_validation_table(four_pairs):
    table = pd.read_csv(four_pairs.results() / SITE / "metrics/cross_validation.tsv", sep="\t", dtype={"date": str})
    assert list(table.columns) == ["method", "date", "band", "rmse", "role", "common"]
    rows = table[(table.method == "stack") & (table.band == "all")]
    assert list(rows.date) == PAIRS and set(rows.role) == {"held_out"} and rows.common.all()
