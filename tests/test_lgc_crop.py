"""The deep spatiotemporal fusion chain (SPEC 2.1-2.10) run for real, through Snakemake, on the
`lgc_crop` sample: Landsat 5 TM green/red/NIR on 2004-11-26 and 2004-12-28 with simulated MODIS
(16 x 16 block means of the Landsat images, stored at 480 m), config ``config/examples/lgc_crop.yaml``.

The georeferencing of the sample is ASSIGNED (EPSG:32755, see resources/samples/PROVENANCE.md).
The run uses a derived config with short training (2 epochs of EDCSTFN and of its autoencoder,
4 patches per group) so the module stays under about 2 minutes on 2 cores; everything else
(sensors, grid, pairing window, methods) is the example's, plus EDCSTFN's start as a method of its own. Known answers checked independently of
the pipeline code: the grid is the sample's own (reprojection changes no pixel), nearest_reference
returns the other date's Landsat image, and coarse_upsampled's 16 x 16 block means follow in closed
form from the coarse input.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml

from conftest import REPO, SHARED_DATA, add_start_twins, make_workdir, read_nan, snakemake
from stfusion.benchmarks import USAGE
from stfusion.methods import FUSION

CONFIG = REPO / "config/examples/lgc_crop.yaml"
SITE = "lgc_crop"
FINE, COARSE = "landsat5_tm_gnr", "modis_sim_tm"
RATIO = 16
DATES = ("2004-11-26", "2004-12-28")
BANDS = ("green", "red", "nir")
SAMPLE = REPO / "resources/samples/lgc_crop"


def example() -> dict:
    return yaml.safe_load(CONFIG.read_text())


def raw_path(sensor: str, date: str) -> Path:
    prefix = "landsat" if sensor == FINE else "modis_sim"
    return SAMPLE / f"{prefix}_{date.replace('-', '')}.tif"


def short_config() -> dict:
    """The example with short training, and EDCSTFN's start (``edcstfn_1ref_start``, ``epochs: 0``) as a method."""
    config = example()
    config["patches"] = {"size": 10, "stride": 20}            # 2 x 2 patches per group (starts 0, 20)
    config["training"]["autoencoder"]["epochs"] = 2
    for method in config["methods"].values():
        if "epochs" in method:
            method["epochs"] = 2
    add_start_twins(config, SITE)
    return config


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """Working directory after a full run of the short config. What it buys: real Landsat with a simulated MODIS on
    a southern-hemisphere UTM grid, two dates each predicted from the other, through every rule of the default run
    but the STS ones, with EDCSTFN's start as a method, in a few minutes."""
    workdir = make_workdir(tmp_path_factory.mktemp("lgc_crop"))
    (workdir / "lgc_crop_short.yaml").write_text(yaml.safe_dump(short_config(), sort_keys=False))
    snakemake(workdir, "--configfile", str(workdir / "lgc_crop_short.yaml"))
    return workdir


def methods() -> list[str]:
    return short_config()["sites"][SITE]["methods"]


# ---------------------------------------------------------------------------------------------
# the sample and its config (no run needed)


def test_sample_files_are_int16_on_the_assigned_grid():
    for date in DATES:
        for sensor, size in ((FINE, 480), (COARSE, 30)):
            with rasterio.open(raw_path(sensor, date)) as src:
                assert src.crs.to_epsg() == 32755
                assert (src.height, src.width, src.count) == (size, size, 3)
                assert src.dtypes == ("int16",) * 3 and src.nodata == -9999
                assert src.descriptions == BANDS
                assert src.bounds == (723360.0, 6719040.0, 737760.0, 6733440.0)
                assert "ASSIGNED" in src.tags()["georeferencing"]
        fine, coarse = read_nan(raw_path(FINE, date)), read_nan(raw_path(COARSE, date))
        # the simulated MODIS is the Landsat block mean, rounded to an integer
        blocks = fine.reshape(3, 30, RATIO, 30, RATIO).mean(axis=(2, 4))
        assert np.abs(coarse - blocks).max() <= 0.5 + 1e-9


def test_convert_script_reproduces_the_sample(tmp_path):
    source = SHARED_DATA / "lgc_crop"
    if not (source / "Landsat20041126").is_file():
        pytest.skip(f"{source} (the ENVI source) is not available")
    import runpy

    runpy.run_path(str(SAMPLE / "convert.py"), run_name="convert").get("main")([str(source), "--out", str(tmp_path)])
    for date in DATES:
        for sensor in (FINE, COARSE):
            ours = raw_path(sensor, date)
            with rasterio.open(ours) as a, rasterio.open(tmp_path / ours.name) as b:
                assert (a.crs, a.transform, a.nodata, a.descriptions) == (b.crs, b.transform, b.nodata, b.descriptions)
                np.testing.assert_array_equal(a.read(), b.read())


def test_example_config_schedules_only_its_site(tmp_path):
    workdir = make_workdir(tmp_path)
    result = snakemake(workdir, "--configfile", str(CONFIG.relative_to(REPO)), "-n", check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "results/demo" not in result.stdout + result.stderr


# ---------------------------------------------------------------------------------------------
# grid, matched bands, pairing


def test_grid_is_utm55s_and_coarse_pixels_are_16_fine_pixels(run):
    grid = json.loads((run / f"results/{SITE}/grid.json").read_text())
    assert grid["crs"] == "EPSG:32755"
    assert grid["ratios"] == {FINE: 1, COARSE: RATIO}
    assert (grid["x_min"], grid["y_max"], grid["pixel_size"]) == (723360.0, 6733440.0, 30.0)
    assert (grid["height"], grid["width"]) == (480, 480)
    assert grid["x_min"] % (30 * RATIO) == 0 and grid["y_max"] % (30 * RATIO) == 0
    for sensor in (FINE, COARSE):
        ratio = grid["ratios"][sensor]
        for date in DATES:
            with rasterio.open(run / f"results/{SITE}/matched/{sensor}/{date}.tif") as src:
                assert src.crs.to_epsg() == 32755
                assert tuple(src.transform)[:6] == (30.0 * ratio, 0.0, grid["x_min"], 0.0, -30.0 * ratio, grid["y_max"])
                assert (src.height * ratio, src.width * ratio) == (480, 480)
                assert src.descriptions == BANDS


def test_matched_scenes_are_the_raw_reflectance(run):
    """The grid is the sample's own: reprojection and matching change no pixel (int16 x 1e-4)."""
    for sensor in (FINE, COARSE):
        for date in DATES:
            matched = read_nan(run / f"results/{SITE}/matched/{sensor}/{date}.tif")
            np.testing.assert_allclose(matched, read_nan(raw_path(sensor, date)) * 1e-4, rtol=0, atol=1e-6)


def test_bands_pair_green_red_nir_one_to_one(run):
    table = json.loads((run / f"results/{SITE}/matched/bands.json").read_text())
    assert [(b["name"], b["fine"], b["coarse"]) for b in table["bands"]] == [
        ("green", "B2", "B2"), ("red", "B3", "B3"), ("nir", "B4", "B4")]
    assert all(b["overlap"] == pytest.approx(1.0) for b in table["bands"])


def test_each_date_is_predicted_from_the_other(run):
    pairs = json.loads((run / f"results/{SITE}/pairs/pairs.json").read_text())
    assert pairs["pairs"] == list(DATES)
    one = pairs["references"]["1"]
    assert {(g["target"], tuple(g["references"])) for g in one["prediction"]} == {
        (DATES[0], (DATES[1],)), (DATES[1], (DATES[0],))}
    assert len(one["training"]) == 1 and len(one["validation"]) == 1
    assert {one["training"][0]["target"], one["validation"][0]["target"]} == set(DATES)
    assert pairs["references"]["2"]["prediction"] == []        # two references need a third date


# ---------------------------------------------------------------------------------------------
# predictions


def test_every_method_predicts_both_dates_as_float32_cogs(run):
    for method in methods():
        model = short_config()["methods"][method]["model"]
        for date in DATES:
            path = run / f"results/{SITE}/predictions/{method}/{date}.tif"
            assert path.is_file(), path
            with rasterio.open(path) as src:
                assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
                assert src.dtypes == ("float32",) * 3
                assert src.nodata is not None and math.isnan(src.nodata)
                assert src.crs.to_epsg() == 32755
                assert tuple(src.transform)[:6] == (30.0, 0.0, 723360.0, 0.0, -30.0, 6733440.0)
                assert (src.height, src.width) == (480, 480)
                assert src.descriptions == BANDS
                tags = src.tags()
                other = DATES[1 - DATES.index(date)]
                assert (tags["site"], tags["date"], tags["method"], tags["model"]) == (SITE, date, method, model)
                assert tags["reference_dates"] == other
                data = src.read()
            assert np.isfinite(data).all(), f"{method} {date}: NaN in a gap-free scene"
            assert 0.0 < np.median(data) < 1.0, f"{method} {date}: not reflectance"


def test_nearest_reference_is_the_other_dates_landsat(run):
    for date in DATES:
        other = DATES[1 - DATES.index(date)]
        prediction = read_nan(run / f"results/{SITE}/predictions/nearest_reference/{date}.tif")
        np.testing.assert_allclose(prediction, read_nan(raw_path(FINE, other)) * 1e-4, rtol=0, atol=1e-6)


def _smooth(a: np.ndarray, axis: int) -> np.ndarray:
    """[1/8, 3/4, 1/8] along ``axis`` with the edge values repeated."""
    padded = np.concatenate([np.take(a, [0], axis), a, np.take(a, [-1], axis)], axis)
    n = a.shape[axis]
    left, middle, right = (np.take(padded, range(start, start + n), axis) for start in (0, 1, 2))
    return 0.125 * left + 0.75 * middle + 0.125 * right


def test_coarse_upsampled_block_means_known_answer(run):
    """coarse_upsampled is bilinear interpolation (half-pixel centres, edges clamped) of the coarse
    image by 16. Its 16 x 16 block means are NOT the coarse pixels: in one dimension the fine pixels
    of coarse pixel j sit at offsets (k + 0.5) / 16 - 0.5 (k = 0..15) from its centre, of mean
    |offset| 1/4, so the block mean is 3/4 c[j] + 1/8 (c[j-1] + c[j+1]) (c[-1] = c[0] at the
    edges), and in 2-D that kernel along both axes. Measured: block means differ from the coarse
    pixels by up to 0.034 reflectance on this sample, from the closed form by < 1e-8. The scene mean
    is preserved exactly (each coarse pixel's weights sum to 1, also at the clamped edges)."""
    for date in DATES:
        prediction = read_nan(run / f"results/{SITE}/predictions/coarse_upsampled/{date}.tif")
        coarse = read_nan(raw_path(COARSE, date)) * 1e-4              # the raw input, not the pipeline's copy
        blocks = prediction.reshape(3, 30, RATIO, 30, RATIO).mean(axis=(2, 4))
        expected = _smooth(_smooth(coarse, 1), 2)
        assert np.abs(blocks - expected).max() <= 1e-5, f"{date}: {np.abs(blocks - expected).max()}"
        np.testing.assert_allclose(prediction.mean(axis=(1, 2)), coarse.mean(axis=(1, 2)), rtol=0, atol=1e-5)
        # and the block means hold the coarse image itself wherever it is locally linear: on average
        # far closer to it than to the other date's coarse image
        other = read_nan(raw_path(COARSE, DATES[1 - DATES.index(date)])) * 1e-4
        assert np.abs(blocks - coarse).mean() < 0.5 * np.abs(blocks - other).mean()


# ---------------------------------------------------------------------------------------------
# metrics


def test_metrics_csv_columns_and_finite_scores(run):
    pairs = json.loads((run / f"results/{SITE}/pairs/pairs.json").read_text())
    validation = pairs["references"]["1"]["validation"][0]["target"]
    for method in methods():
        table = pd.read_csv(run / f"results/{SITE}/metrics/{method}.csv", dtype={"date": str})
        assert list(table.columns) == ["site", "method", "date", "references", "role", "band", "metric", "value"]
        assert (table.site == SITE).all() and (table.method == method).all()
        # the scored dates, plus for a trained model the run time and peak memory of its training job
        deep = FUSION[short_config()["methods"][method]["model"]].family == "deep"
        assert set(table.date) == set(DATES) | ({"training"} if deep else set()), method
        training = table[table.date == "training"]
        assert set(training.metric) == (set(USAGE.values()) if deep else set()), method
        table = table[table.date != "training"]
        for date in DATES:
            rows = table[table.date == date]
            assert (rows.references == DATES[1 - DATES.index(date)]).all()
            # EDCSTFN trains on one date and chose its weights on the other; the other methods train on nothing
            role = ("validation" if date == validation else "training") if deep else "held_out"
            assert (rows.role == role).all(), f"{method} {date}: the role must be {role}"
            for metric in ("rmse", "ssim"):
                values = rows[rows.metric == metric].set_index("band").value
                assert set(BANDS) | {"all"} <= set(values.index), f"{method} {date} {metric}: {sorted(values.index)}"
                assert np.isfinite(values).all()
            rmse = rows[(rows.metric == "rmse") & (rows.band == "all")].value.iloc[0]
            assert 0 < rmse < 0.2, f"{method} {date}: RMSE {rmse}"


def own_dates(run: Path) -> pd.DataFrame:
    return pd.read_csv(run / f"results/{SITE}/metrics/summary_own_dates.tsv", sep="\t", index_col=["method", "role"])


def test_no_date_is_held_out_by_every_method_and_each_method_has_its_own(run):
    """EDCSTFN trains on one date and validates on the other: summary.tsv has no date to compare the methods on, and
    summary_own_dates.tsv has EDCSTFN's validation date and the other methods' two held-out dates."""
    summary = pd.read_csv(run / f"results/{SITE}/metrics/summary.tsv", sep="\t", index_col=0)
    assert sorted(summary.index) == sorted(methods())
    assert (summary["dates"] == 0).all() and summary[["rmse", "ssim"]].isna().all().all()
    deep = {m for m in methods() if FUSION[short_config()["methods"][m]["model"]].family == "deep"}
    own = own_dates(run)
    assert sorted(own.index) == sorted((m, "validation" if m in deep else "held_out") for m in methods())
    assert own.dates.to_dict() == {(m, role): 1 if m in deep else 2 for m, role in own.index}
    assert np.isfinite(own[["rmse", "ssim"]].to_numpy()).all()
    # nearest_reference's RMSE on the validation date is that of the other date's image against the validation date's
    pairs = json.loads((run / f"results/{SITE}/pairs/pairs.json").read_text())
    date = pairs["references"]["1"]["validation"][0]["target"]
    other = DATES[1 - DATES.index(date)]
    diff = read_nan(raw_path(FINE, other)) * 1e-4 - read_nan(raw_path(FINE, date)) * 1e-4
    per_band = np.sqrt((diff ** 2).mean(axis=(1, 2)))
    scores = pd.read_csv(run / f"results/{SITE}/metrics/nearest_reference.csv", dtype={"date": str})
    rmse = scores[(scores.date == date) & (scores.metric == "rmse") & (scores.band == "all")].value.item()
    assert rmse == pytest.approx(per_band.mean(), abs=1e-4)


def test_edcstfn_is_not_worse_than_its_start_on_the_validation_date(run):
    """The start (change transfer) counts as epoch 0 of the training: the weights kept score at most its RMSE on the
    validation date, whose prediction chose them."""
    own = own_dates(run)
    assert own.loc[("edcstfn_1ref", "validation"), "rmse"] <= own.loc[("edcstfn_1ref_start", "validation"), "rmse"]
