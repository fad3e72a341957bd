"""The default config run for real through snakemake: grids, filtering, band matching, simulation, training,
prediction, scoring and the report (the run: the shared ``demo_run`` fixture)."""
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from conftest import make_workdir, snakemake
from stfusion.demo.scenario import SITES
from stfusion.io import read_stack
from stfusion.sensors import load_sensor
from stfusion.simulate import simulate_spectral


def inventory(run: Path, site: str) -> pd.DataFrame:
    return pd.read_csv(run / f"results/{site}/qa/inventory.tsv", sep="\t", dtype={"date": str}).set_index(["sensor", "date"])


def test_dry_run_shows_the_dag(tmp_path):
    out = snakemake(make_workdir(tmp_path), "-n").stdout
    for rule in ("demo", "catalogue", "reproject", "quality", "inventory", "band_table", "match_bands", "simulate"):
        assert rule in out
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("site", SITES, ids=lambda s: s.name)
def test_every_sensor_lands_on_its_aligned_grid(demo_run, site):
    grid = json.loads((demo_run / f"results/{site.name}/grid.json").read_text())
    assert grid["crs"] == f"EPSG:{site.epsg}"  # picked from the site's centre
    for sensor, ratio in site.ratios.items():
        date = next(a.date for a in site.acquisitions if a.sensor == sensor)
        with rasterio.open(demo_run / f"results/{site.name}/grid/{sensor}/{date}.tif") as src:
            assert src.crs.to_epsg() == site.epsg
            assert (src.transform.c, src.transform.f) == (grid["x_min"], grid["y_max"])
            assert src.transform.a == -src.transform.e == site.pixel_size * ratio
            assert (src.height * ratio, src.width * ratio) == (site.size, site.size)
            assert src.dtypes[0] == "float32" and np.isnan(src.nodata)
            assert src.tags()["sensor"] == sensor and src.tags()["date"] == date
            assert list(src.descriptions) == load_sensor(sensor).band_names
            assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"


def test_reflectance_is_scaled_and_close_to_the_truth(demo_run):
    """Landsat lands on its own grid (noise 0.003 only); MODIS is warped from sinusoidal 463 m to 480 m."""
    errors = {}
    for sensor, date in [("landsat8_oli", "2021-03-20"), ("modis", "2021-03-20")]:
        warped = read_stack(demo_run / f"results/demo/grid/{sensor}/{date}.tif")
        truth = read_stack(demo_run / f"data/demo/truth/demo/{sensor}/{date}.tif")
        errors[sensor] = float(np.sqrt(np.nanmean((warped - truth) ** 2)))
        assert abs(float(np.nanmean(warped - truth))) < 0.002
    assert errors["landsat8_oli"] < 0.004
    assert errors["modis"] < 0.03


def test_filtering_decisions_follow_the_qa_and_thresholds(demo_run):
    inv = inventory(demo_run, "demo")
    assert len(inv) == len([a for a in SITES[0].acquisitions])
    dropped = {key: reason for key, reason in inv.loc[~inv.kept, "reason"].items()}
    assert set(dropped) == {("landsat8_oli", "2021-05-01"), ("modis", "2021-06-12"), ("modis", "2021-07-24"), ("modis", "2021-09-04")}
    assert dropped["landsat8_oli", "2021-05-01"].startswith("cloud+shadow")
    assert dropped["modis", "2021-06-12"].startswith("nodata")
    light = inv.loc[("landsat8_oli", "2021-07-10")]
    assert light.kept and 0 < light.cloud_fraction + light.shadow_fraction <= 0.05
    clean = read_stack(demo_run / "results/demo/clean/landsat8_oli/2021-07-10.tif")
    masked = np.isnan(clean).all(axis=0).mean()
    assert masked == pytest.approx(light.cloud_fraction + light.shadow_fraction + light.nodata_fraction, abs=1e-6)
    assert inventory(demo_run, "demo_sts").kept.all()


def test_band_matching_orders_and_names_the_bands(demo_run):
    table = json.loads((demo_run / "results/demo/matched/bands.json").read_text())
    names = ["blue", "green", "red", "nir", "swir1", "swir2"]
    assert [b["name"] for b in table["bands"]] == names
    for sensor, picked in [("landsat8_oli", [1, 2, 3, 4, 5, 6]), ("modis", [2, 3, 0, 1, 5, 6])]:
        path = demo_run / f"results/demo/matched/{sensor}/2021-03-20.tif"
        with rasterio.open(path) as src:
            assert list(src.descriptions) == names
        clean = read_stack(demo_run / f"results/demo/clean/{sensor}/2021-03-20.tif")
        np.testing.assert_array_equal(read_stack(path), clean[picked])


def test_simulated_gf6_is_the_srf_integral_of_the_ahsi_scene(demo_run):
    ahsi, gf6 = load_sensor("zy1_02d_ahsi"), load_sensor("gf6_wfv")
    simulated = read_stack(demo_run / "results/demo_sts/simulated/gf6_wfv/from_zy1_02d_ahsi/2021-04-15.tif")
    truth = read_stack(demo_run / "data/demo/truth/demo_sts/zy1_02d_ahsi/2021-04-15.tif")
    expected = simulate_spectral(truth, [b.centre_nm for b in ahsi.bands], gf6)
    assert simulated.shape == (8, 64, 64)
    assert float(np.sqrt(np.mean((simulated - expected) ** 2))) < 0.002  # band-averaged sensor noise


def test_rerun_has_nothing_to_do_and_nothing_is_half_written(demo_run):
    out = snakemake(demo_run, "-n", "--nolock").stdout
    assert "Nothing to be done" in out
    assert not list(demo_run.rglob("*.part"))
    assert "stfusion" in (demo_run / "results" / ".stfusion-results").read_text()  # the run claimed its folder


def test_training_writes_weights_history_and_curve(demo_run):
    for method in ("edcstfn_1ref", "edcstfn_2ref"):
        folder = demo_run / f"results/demo/models/{method}"
        history = pd.read_csv(folder / "history.csv")
        assert list(history.columns) == ["epoch", "train_loss", "validation_loss", "lr", "validation_rmse", "kept"]
        assert list(history.epoch) == list(range(7)) and history.kept.sum() == 1  # epoch 0: the initial weights
        assert history.train_loss.iloc[-1] < history.train_loss.iloc[1]
        assert (folder / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (folder / "checkpoint.pt").is_file()


def test_edcstfn_was_trained_with_the_pretrained_autoencoder(demo_run):
    """The weights recorded in the EDCSTFN artefact are those of the autoencoder rule's output."""
    import torch

    from stfusion.models import load_feature_extractor, state_dict_sha256
    from stfusion.torch_artefact import load_artefact

    trained = load_feature_extractor(demo_run / "results/demo/autoencoder/weights.pt")
    for method in ("edcstfn_1ref", "edcstfn_2ref"):
        saved = load_artefact(demo_run / f"results/demo/models/{method}/weights.pt", "")
        assert saved["autoencoder_sha256"] == state_dict_sha256(trained)
    torch.manual_seed(0)
    from stfusion.models import FeatureAutoencoder

    assert state_dict_sha256(FeatureAutoencoder(trained.channels)) != state_dict_sha256(trained)


def test_every_coarse_date_with_references_is_predicted(demo_run):
    """Issue 25: the MODIS dates too cloudy or gappy to pair (2021-06-12, 2021-07-24, 2021-09-04) are predicted from
    their gap-filled coarse images, and coarse_upsampled predicts the 8-day schedule from the first MODIS date."""
    pairs = json.loads((demo_run / "results/demo/pairs/pairs.json").read_text())
    modis = set(inventory(demo_run, "demo").loc["modis"].index)  # every one usable (masked at most 60 %)
    assert set(pairs["coarse_dates"]) == modis
    eight_days = [str(dt.date(2021, 3, 20) + dt.timedelta(days=8 * i)) for i in range(23)]  # to 2021-09-12
    assert pairs["schedule"] == eight_days
    for method, count in [("edcstfn_1ref", "1"), ("edcstfn_2ref", "2"), ("starfm", "2"), ("estarfm", "2"), ("fsdaf", "1"),
                          ("nearest_reference", "2"), ("coarse_upsampled", "1")]:
        scheduled = set(eight_days) if method == "coarse_upsampled" else set()
        groups = [g for g in pairs["references"][count]["prediction"] if g["target"] in modis | scheduled]
        dates = {g["target"] for g in groups}
        assert dates and dates <= modis | scheduled
        if count == "1":
            assert dates == modis | scheduled  # the long time series: every coarse date, and the schedule's
        for date in {"2021-06-12", "2021-07-24", "2021-09-04"} & dates:  # formerly dropped: every pixel finite
            prediction = read_stack(demo_run / f"results/demo/predictions/{method}/{date}.tif")
            # under a fine reference's clouds (2021-07-10's 1.5 %) the classical methods take the coarse image
            assert np.isfinite(prediction).all(), (method, date)
        for group in groups:
            with rasterio.open(demo_run / f"results/demo/predictions/{method}/{group['target']}.tif") as src:
                tags = src.tags()
                assert src.dtypes[0] == "float32" and src.count == 6
                assert tags["method"] == method and tags["reference_dates"] == ",".join(group["references"])
                assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"


def test_the_demo_series_is_a_cube_and_a_collection_on_the_site_grid(demo_run):
    """Issue 25, done when: the default run writes coarse_upsampled's regular 8-day series (with the coarse dates) as a
    Zarr cube on the site grid, read by xarray and rioxarray, and a STAC collection with an item per date whose COG
    holds the cube's values (the cube and collection code on small COGs: test_series.py)."""
    import pystac
    import rioxarray  # noqa: F401  (registers the .rio accessor)
    import xarray as xr

    from stfusion.grid import SiteGrid

    pairs = json.loads((demo_run / "results/demo/pairs/pairs.json").read_text())
    dates = sorted({*pairs["schedule"], *pairs["coarse_dates"]})
    cube = xr.open_zarr(demo_run / "results/demo/series/coarse_upsampled.zarr")
    assert list(pd.DatetimeIndex(cube.time.values).strftime("%Y-%m-%d")) == dates
    grid = SiteGrid.from_json(demo_run / "results/demo/grid.json")
    assert cube.rio.crs.to_string() == grid.crs and cube.rio.transform() == grid.transform()
    collection = pystac.Collection.from_file(str(demo_run / "results/demo/stac/collection.json"))
    items = {item.datetime.date().isoformat(): item for item in collection.get_items()}
    assert sorted(items) == dates
    date = "2021-07-24"  # 60 % cloud: its coarse image mostly gap-filled
    cog = items[date].assets["coarse_upsampled"].get_absolute_href()
    np.testing.assert_array_equal(read_stack(cog), cube.reflectance.sel(time=date).values)


def test_metrics_and_summary(demo_run):
    scores = pd.read_csv(demo_run / "results/demo/metrics/edcstfn_2ref.csv", dtype={"date": str})
    assert list(scores.columns) == ["site", "method", "date", "references", "role", "band", "metric", "value"]
    assert {"rmse", "ssim", "sam_deg", "ergas", "ndvi_rmse"} <= set(scores.metric)
    # run time and peak memory of the job behind each prediction, and of the training job, from the benchmarks
    usage = scores[scores.metric.isin(["job_seconds", "job_max_rss_mb"])].set_index(["date", "metric"]).value
    assert set(usage.index.get_level_values("date")) == set(scores.date)
    assert (usage > 0).all() and usage["training", "job_max_rss_mb"] > 100
    summary = pd.read_csv(demo_run / "results/demo/metrics/summary.tsv", sep="\t", index_col="method")
    assert set(summary.index) == {"edcstfn_1ref", "edcstfn_2ref", "starfm", "estarfm", "fsdaf", "nearest_reference",
                                  "coarse_upsampled", "ensemble"}
    # issue 26: the stacked ensemble of every method, each held-out date predicted with weights fitted without it,
    # beats the best single method on their held-out mean
    assert summary.loc["ensemble", "rmse"] < summary.drop(index="ensemble").rmse.min()
    # issue 3's criterion: on the dates every method holds out, EDCSTFN beats both naive predictions on RMSE and SSIM
    # (measured: both keep their change-transfer start, RMSE 0.0250 / 0.0225, SSIM 0.902 / 0.918 against the
    # nearest reference's 0.0315 and 0.896)
    for method in ("edcstfn_1ref", "edcstfn_2ref"):
        for naive in ("nearest_reference", "coarse_upsampled"):
            assert summary.loc[method, "rmse"] < summary.loc[naive, "rmse"], (method, naive)
            assert summary.loc[method, "ssim"] > summary.loc[naive, "ssim"], (method, naive)
    # the classical methods go through the same rules; each beats the interpolated coarse image and is
    # closer to the truth than the nearest reference (STARFM's SSIM is not: its 51-px windows smooth)
    for method in ("starfm", "estarfm", "fsdaf"):
        assert summary.loc[method, "rmse"] < summary.loc["nearest_reference", "rmse"], method
        assert summary.loc[method, "ssim"] > summary.loc["coarse_upsampled", "ssim"], method


def test_sts_mtl_runs_through_the_dag(demo_run):
    """STS-MTL (paper 000) on the demo's observed series (Wald's protocol): every GF-6 date predicted as a 166-band
    COG, and on each held-out date (no AHSI scene) closer to the truth than the nearest AHSI date upsampled."""
    site = demo_run / "results/demo_sts/sts"
    table = pd.read_csv(site / "summary.tsv", sep="\t", dtype={"date": str}).set_index(["method", "date"])
    dates = ["2021-04-15", "2021-05-01", "2021-05-17", "2021-06-02", "2021-06-18", "2021-07-04", "2021-07-20"]
    assert {d for m, d in table.index} == {*dates, "held-out mean", "all mean"}
    for date in dates:
        with rasterio.open(site / f"stsmtl/predictions/{date}.tif") as src:
            assert src.count == 166 and src.tags()["method"] == "stsmtl" and src.tags()["date"] == date
    for date in ("2021-05-01", "2021-06-02", "2021-07-04"):
        for metric in ("rmse", "sam_deg"):
            assert table.loc[("stsmtl", date), metric] < table.loc[("hs_nearest", date), metric], (date, metric)


def test_the_report_shows_every_site(demo_run):
    """Issue 6: one self-contained results/report.html with each site's inventory, tables and figures."""
    html = (demo_run / "results/report.html").read_text()
    for site, summary in [("demo", "metrics/summary.tsv"), ("demo_sts", "sts/summary.tsv")]:
        start = html.index(f'<section id="site-{site}">')
        part = html[start:html.index("</section>", start)]
        methods = set(pd.read_csv(demo_run / f"results/{site}/{summary}", sep="\t").method)
        assert "scenes:" in part and "Held-out mean" in part and "Per date" in part and "Run times" in part, site
        assert all(f"<th>{method}</th>" in part for method in methods), site
        assert part.count("<b>") >= 5  # the best value of each metric
        # composites, errors, NDVI, scatters, learning curves; the fused series' time series and filled shares; the
        # uncertainty's reliability diagram and its maps beside the errors
        assert part.count("data:image/png;base64,") == (9 if site == "demo" else 5), site
    assert "<script" not in html and "<link" not in html
