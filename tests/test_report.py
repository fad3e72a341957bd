"""The report: best-in-bold tables, band choice, stretch and NDVI on known arrays, the marks of methods worse than
the naive baselines or that kept their start, and the page of a small fake results tree (every table and figure,
nothing fetched from outside)."""
import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from stfusion.cross_validation import cross_validation_table
from stfusion.io import write_cog
from stfusion.report import build_report
from stfusion.report.experiments import load_fusion
from stfusion.report.marks import MEAN, worse_marks, worse_on_average, worse_on_date
from stfusion.report.page import experiment_html
from stfusion.report.rendering import (absolute_error, composite_bands, ndvi_map, percentile_limits, red_nir_bands,
                                       stretch)
from stfusion.report.tables import best_mask, metric_table
from stfusion.sensors import load_sensor

CRS, TRANSFORM = "EPSG:32650", Affine(30, 0, 500000, 0, -30, 4000000)
COARSE_RATIO = 4


def test_the_best_value_of_each_metric_is_bold():
    frame = pd.DataFrame({"rmse": [0.02, 0.01, 0.03], "cc": [0.9, 0.8, 0.95], "psnr": [30.0, 35.0, 35.0],
                          "bias": [-0.001, 0.002, 0.01], "dates": [3, 2, 1]}, index=pd.Index(["a", "b", "c"], name="method"))
    best = best_mask(frame)
    assert best.rmse.tolist() == [False, True, False]  # lowest error
    assert best.cc.tolist() == [False, False, True]  # highest correlation
    assert best.psnr.tolist() == [False, True, True]  # ties are both best
    assert best.bias.tolist() == [True, False, False]  # closest to zero
    assert not best.dates.any()  # a count, not a metric
    html = metric_table(frame)
    assert re.findall(r"<b>([^<]*)</b>", html) == ["-0.0010", "0.0100", "35.00", "0.9500", "35.00"]  # row by row
    assert "RMSE ↓" in html and "CC ↑" in html and "PSNR (dB) ↑" in html


def test_composites_pick_true_colour_then_colour_infrared():
    landsat8 = [482, 561, 655, 865, 1609, 2201]  # blue green red nir swir1 swir2
    assert composite_bands(landsat8) == ([2, 1, 0], "true colour")
    assert composite_bands([560, 660, 830])[0] == [2, 1, 0]  # green red nir: no blue, so NIR/red/green
    ahsi = [b.centre_nm for b in load_sensor("zy1_02d_ahsi").bands]
    picked, name = composite_bands(ahsi)
    assert name == "true colour" and [round(ahsi[i]) for i in picked] == [653, 550, 472]
    assert composite_bands([1600, 2200, 11000])[0] == [0, 1, 2]  # nothing near the visible: first three bands
    assert red_nir_bands(landsat8) == (2, 3)
    assert red_nir_bands([482, 561, 655]) is None  # no NIR: no NDVI


def test_stretch_maps_the_percentiles_to_0_and_1_and_hides_missing_pixels():
    image = np.stack([k * np.arange(101, dtype=float).reshape(1, 101) for k in (1, 2, 3)])
    lower, upper = percentile_limits(image)
    np.testing.assert_allclose(lower, [2, 4, 6])
    np.testing.assert_allclose(upper, [98, 196, 294])
    image[1, 0, 50] = np.nan
    rgba = stretch(image, lower, upper)
    assert rgba.shape == (1, 101, 4)
    np.testing.assert_allclose(rgba[0, [0, 2, 26, 98, 100], 0], [0, 0, 0.25, 1, 1])  # clipped outside 2..98
    assert rgba[0, 50, 3] == 0 and rgba[0, 49, 3] == 1  # the pixel with a missing band is transparent


def test_ndvi_and_absolute_error_on_known_arrays():
    image = np.array([[[0.1, 0.2]], [[0.5, 0.2]]])  # red, NIR
    np.testing.assert_allclose(ndvi_map(image, (0, 1)), [[2 / 3, 0.0]])
    truth = np.zeros((2, 1, 3))
    prediction = np.array([[[0.1, np.nan, np.nan]], [[-0.3, 0.2, np.nan]]])
    np.testing.assert_allclose(absolute_error(truth, prediction), [[0.2, 0.2, np.nan]])


def raster(path, bands, names, seed, date):
    rng = np.random.default_rng(seed)
    data = (0.05 + 0.4 * rng.random((len(names), 16, 16))).astype("float32")
    write_cog(path, data[:bands], CRS, TRANSFORM, names[:bands], {"date": date})
    return data


@pytest.fixture
def fake_run(tmp_path):
    """A results tree of three sites: spatiotemporal fusion (two methods, one trained), spatio-temporal-spectral
    fusion (one method) and a site with scenes only."""
    r, dates, methods = tmp_path / "results", ["2021-01-01", "2021-02-01"], ["deepnet", "classic"]
    sites = {}
    for site in ("fuse", "sts", "plain"):
        (r / site / "qa").mkdir(parents=True)
        pd.DataFrame({"site": site, "sensor": ["landsat8_oli", "modis"], "date": dates, "cloud_fraction": [0.0, 0.3],
                      "shadow_fraction": 0.0, "nodata_fraction": 0.0, "no_qa_fraction": 0.0,
                      "below_range_pixels": [1234, 0], "above_range_pixels": 0, "kept": [True, False],
                      "reason": ["clear enough", "cloud+shadow 30.0% > max_cloud 5.0%"]}).to_csv(
            r / site / "qa/inventory.tsv", sep="\t", index=False)
        sites[site] = {"inventory": str(r / site / "qa/inventory.tsv"), "fusion": None, "sts": None}
    (r / "bench").mkdir()
    bench = str(r / "bench/{}.tsv")
    for job, seconds in [("train", 12.0), ("predict_a", 2.0), ("predict_b", 3.0), ("sts", 5.0)]:
        pd.DataFrame({"s": [seconds], "max_rss": [100.0]}).to_csv(bench.format(job), sep="\t", index=False)

    f = r / "fuse"
    matched = [{"name": n, "fine": b} for n, b in zip(["blue", "green", "red", "nir"], ["B2", "B3", "B4", "B5"])]
    (f / "matched").mkdir()
    (f / "matched/bands.json").write_text(json.dumps({"fine": "landsat8_oli", "coarse": "modis", "bands": matched}))
    metrics = ["rmse", "ssim", "cc", "psnr", "sam_deg", "ergas"]
    rows, predictions, truths = [], {m: {} for m in methods}, {}
    for date in dates:
        truths[date] = str(f / f"truth/{date}.tif")
        raster(truths[date], 7, [f"B{i}" for i in range(1, 8)], 0, date)
        for k, method in enumerate(methods):
            predictions[method][date] = str(f / f"predictions/{method}/{date}.tif")
            raster(predictions[method][date], 4, [m["name"] for m in matched], k + 1, date)
            rows += [{"site": "fuse", "method": method, "date": date, "references": "", "role": "held_out", "band": "all",
                      "metric": metric, "value": 0.1 * (k + 1)} for metric in metrics]
    (f / "metrics").mkdir()
    scores = {}
    for method in methods:
        scores[method] = str(f / f"metrics/{method}.csv")
        pd.DataFrame([x for x in rows if x["method"] == method]).to_csv(scores[method], index=False)
    pd.DataFrame([{"method": m, **{x: 0.1 * (k + 1) for x in metrics}, "dates": 2} for k, m in enumerate(methods)]).to_csv(
        f / "metrics/summary.tsv", sep="\t", index=False)
    pd.DataFrame([{"method": m, "role": "held_out", **{x: 0.1 * (k + 1) for x in metrics}, "dates": 2}
                  for k, m in enumerate(methods)]).to_csv(f / "metrics/summary_own_dates.tsv", sep="\t", index=False)
    cross_validation_table(pd.DataFrame(rows)).to_csv(f / "metrics/cross_validation.tsv", sep="\t", index=False)
    pd.DataFrame({"epoch": [1, 2, 3], "train_loss": [0.3, 0.2, 0.1], "validation_loss": [0.35, 0.25, 0.2], "lr": 1e-3}).to_csv(
        f / "history.csv", index=False)
    sites["fuse"]["fusion"] = {
        "summary": str(f / "metrics/summary.tsv"), "own_dates": str(f / "metrics/summary_own_dates.tsv"), "scores": scores, "bands": str(f / "matched/bands.json"),
        "cross_validation": str(f / "metrics/cross_validation.tsv"), "ensembles": {},
        "predictions": predictions, "truths": truths, "histories": {"deepnet": str(f / "history.csv")},
        "benchmarks": {"deepnet": [bench.format("train"), bench.format("predict_a")], "classic": [bench.format("predict_b")]},
        "naive": [],
    }

    s = r / "sts"
    ahsi = load_sensor("zy1_02d_ahsi").band_names
    folder = s / "stsmtl/predictions"
    folder.mkdir(parents=True)
    (s / "stsmtl/training.json").write_text(json.dumps({"seconds": 5.0, "history": [
        {"epoch": e, "train_loss": 1.0 / e, "validation_loss": 1.2 / e, "lr": 1e-3} for e in (1, 2, 3)]}))
    sts_truths, sts_predictions, sts_rows = {}, {}, []
    for k, date in enumerate(dates):
        sts_truths[date] = str(s / f"truth/{date}.tif")
        raster(sts_truths[date], len(ahsi), ahsi, 5, date)
        sts_predictions[date] = str(folder / f"{date}.tif")
        raster(sts_predictions[date], len(ahsi), ahsi, 6, date)
        sts_rows.append({"site": "sts", "method": "stsmtl", "date": date, "held_out": k == 1, "cc": 0.9, "sam_deg": 3.0,
                         "psnr": 30.0, "ssim": 0.9, "rmse": 0.02, "seconds": 5.0})
    (s / "sts").mkdir()
    pd.DataFrame(sts_rows).to_csv(s / "sts/stsmtl.csv", index=False)
    summary = pd.DataFrame(sts_rows).drop(columns=["site", "held_out"])
    summary = pd.concat([summary, summary.iloc[[1]].assign(date="held-out mean"), summary.iloc[[0]].assign(date="all mean")])
    summary.to_csv(s / "sts/summary.tsv", sep="\t", index=False)
    sites["sts"]["sts"] = {"summary": str(s / "sts/summary.tsv"), "scores": {"stsmtl": str(s / "sts/stsmtl.csv")},
                           "sensor": "zy1_02d_ahsi", "predictions": {"stsmtl": sts_predictions}, "truths": sts_truths,
                           "trainings": {"stsmtl": str(s / "stsmtl/training.json")},
                           "benchmarks": {"stsmtl": [bench.format("sts")]}, "naive": []}
    return sites


def section(html, site):
    start = html.index(f'<section id="site-{site}">')
    return html[start:html.index("</section>", start)]


def test_the_page_holds_every_table_and_figure_and_nothing_from_outside(fake_run):
    html = build_report(fake_run)
    for site in fake_run:
        part = section(html, site)
        assert "landsat8_oli" in part and "cloud+shadow 30.0% &gt; max_cloud 5.0%" in part  # the inventory
        assert "<th class=\"n\">pixels below range</th>" in part and "<td class=\"n\">1234</td>" in part
    fuse = section(html, "fuse")
    # inventory, held-out mean, two dates, own dates, cross-validated RMSE per band, run times
    assert fuse.count("<table") == 1 + 1 + 2 + 1 + 1 + 1
    assert "Held-out mean over the 2 dates every method holds out (2021-01-01, 2021-02-01)" in fuse
    assert "2021-02-01 (held out)" in fuse and "Images of 2021-02-01" in fuse  # the later of two middle dates
    # composites, errors, NDVI, scatters, learning curves
    assert fuse.count("data:image/png;base64,") == 5
    assert "True colour composites" in fuse and "NDVI of 2021-02-01" in fuse
    assert re.search(r"<th>deepnet</th><td class=\"n\">2</td><td class=\"n\">14.0</td>", fuse)  # train + predict
    sts = section(html, "sts")
    assert sts.count("<table") == 1 + 1 + 2 + 1
    assert "2021-01-01 (observed)" in sts and "2021-02-01 (held out)" in sts
    assert sts.count("data:image/png;base64,") == 5
    assert "No fusion method is configured for this site" in section(html, "plain")
    assert all(link.startswith(("data:image/png;base64,", "#")) for link in re.findall(r'(?:src|href)="([^"]*)"', html))
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    assert "http" not in text and "//" not in text and "<script" not in text and "<link" not in text


def test_a_config_without_results_still_renders_with_a_note(fake_run):
    html = build_report({"plain": fake_run["plain"]})
    assert "No site of this config has fusion results yet" in html and html.endswith("</html>")


def test_ndvi_is_skipped_with_a_note_without_nir(fake_run, tmp_path):
    fusion = fake_run["fuse"]["fusion"]
    bands = json.loads(open(fusion["bands"]).read())
    bands["bands"] = [b for b in bands["bands"] if b["name"] != "nir"]
    for method in fusion["predictions"]:  # three-band predictions to match
        for date, path in fusion["predictions"][method].items():
            raster(path, 3, ["blue", "green", "red"], 1, date)
    (tmp_path / "rgb.json").write_text(json.dumps(bands))
    html = build_report({"fuse": {**fake_run["fuse"], "fusion": {**fusion, "bands": str(tmp_path / "rgb.json")}}})
    assert "No NDVI maps" in html and section(html, "fuse").count("data:image/png;base64,") == 4


def test_methods_worse_than_the_best_naive_baseline_are_marked_per_date_and_on_average():
    nan = np.nan
    rmse = pd.DataFrame(  # methods x held-out dates; the deep method trained on d1, so it is not held out there
        {"d1": [0.02, 0.30, nan, 0.25], "d2": [0.20, 0.25, 0.15, 0.10], "d3": [0.20, 0.30, 0.25, 0.20]},
        index=["nearest_reference", "coarse_upsampled", "deep", "classic"])
    naive = ["nearest_reference", "coarse_upsampled"]
    assert worse_on_date(rmse, "d1", naive) == {"classic"}  # 0.25 > 0.02; the deep method is not held out
    assert worse_on_date(rmse, "d2", naive) == set()  # both beat the best baseline (0.20)
    assert worse_on_date(rmse, "d3", naive) == {"deep"}  # 0.25 > 0.20; a tie (classic, 0.20) is not worse
    # The deep method's mean (0.20) against the baselines over its own dates d2, d3 (0.20 and 0.275): not worse,
    # although the nearest reference's mean over all three dates (0.14) is lower.
    assert worse_on_average(rmse, naive) == {"classic"}  # 0.1833 > 0.14
    marks = worse_marks(rmse, naive, {"d1 (held out)": "d1", "d3 (held out)": "d3"})
    assert marks == {"d1 (held out)": {"classic"}, "d3 (held out)": {"deep"}, MEAN: {"classic"}}
    assert worse_marks(rmse, [], {"d1 (held out)": "d1"}) == {}  # no baseline configured: nothing to compare
    cc = -rmse  # a higher-is-better score turns the comparison round
    assert worse_on_date(cc, "d3", naive, metric="cc") == {"deep"} and worse_on_average(cc, naive, "cc") == {"classic"}


def test_the_page_marks_methods_worse_than_a_naive_baseline_and_those_that_kept_their_start(fake_run):
    fusion = {**fake_run["fuse"]["fusion"], "naive": ["deepnet"]}  # RMSE 0.1 against the other method's 0.2
    html = section(build_report({"fuse": {**fake_run["fuse"], "fusion": fusion}}), "fuse")
    assert html.count("<th>classic †</th>") == 3 and "<th>deepnet</th>" in html  # held-out mean and both dates
    assert "† worse than the best naive baseline (deepnet) in held-out RMSE" in html
    assert "On the held-out mean, classic scores worse than the best naive baseline (deepnet)" in html
    assert "kept its start" not in html
    better = section(build_report({"fuse": {**fake_run["fuse"], "fusion": {**fusion, "naive": ["classic"]}}}), "fuse")
    assert "†" not in better.replace("† worse than", "") and "On the held-out mean" not in better
    kept = experiment_html(dataclasses.replace(load_fusion(fusion, None), kept_start={"deepnet"}))
    assert kept.count("<th>deepnet ‡</th>") == 3 and "‡ kept its start: no training epoch beat the initial weights" in kept


def test_learning_curves_draw_losses_of_exactly_zero():
    """Identical training images give losses of 0, which a log scale cannot show: the panel falls back to linear
    (the train job once failed at its plot, after training)."""
    from stfusion.report.figures import learning_curves

    zero = pd.DataFrame({"epoch": [0, 1, 2], "train_loss": [0.0] * 3, "validation_loss": [0.0] * 3,
                         "validation_rmse": [0.0] * 3, "kept": [True, False, False]})
    some = zero.assign(train_loss=[0.2, 0.1, 0.0])
    for histories in ({"edcstfn": zero}, {"edcstfn": some}):
        assert learning_curves(histories).startswith(b"\x89PNG")


def quadrants(seed):
    """Four land covers (blue, green, red, nir), one per 8 x 8 quadrant of a 16 x 16 scene, with a little noise."""
    covers = np.array([[0.05, 0.08, 0.06, 0.45], [0.10, 0.12, 0.15, 0.25], [0.02, 0.03, 0.02, 0.01],
                       [0.20, 0.25, 0.30, 0.35]], dtype="float32")
    image = np.repeat(np.repeat(covers.T.reshape(4, 2, 2), 8, axis=1), 8, axis=2)
    return image + np.random.default_rng(seed).normal(0, 0.002, image.shape).astype("float32")


@pytest.fixture
def series_files(fake_run, tmp_path):
    """The series files of the fake site: the two methods' predictions, fine scenes on both dates (four land
    covers), and on three dates the gap-filled coarse image and its fill info (states 0, 1, 2 and NaN)."""
    fusion = fake_run["fuse"]["fusion"]
    names = ["blue", "green", "red", "nir"]
    files = {"predictions": fusion["predictions"], "fine": {}, "coarse": {}, "fill": {}, "seed": 7}
    for k, date in enumerate(fusion["truths"]):
        files["fine"][date] = str(tmp_path / f"fine/{date}.tif")
        write_cog(files["fine"][date], quadrants(k), CRS, TRANSFORM, names)
    coarse = TRANSFORM * Affine.scale(COARSE_RATIO)  # the gap-filled images and their fill COGs: the coarse grid
    for k, date in enumerate(["2021-01-01", "2021-01-09", "2021-02-01"]):
        files["coarse"][date] = str(tmp_path / f"filled/{date}.tif")
        data = (0.05 + 0.4 * np.random.default_rng(10 + k).random((4, 4, 4))).astype("float32")
        write_cog(files["coarse"][date], data, CRS, coarse, names, {"date": date})
        state = np.random.default_rng(k).choice(np.array([0, 1, 2, np.nan], dtype="float32"), (4, 4))
        files["fill"][date] = str(tmp_path / f"filled/{date}_fill.tif")
        write_cog(files["fill"][date], np.stack([state, np.where(state > 0, 4, 0).astype("float32")]), CRS,
                  coarse, ["coarse_state", "coarse_days_to_clear"])
    return {**fake_run, "fuse": {**fake_run["fuse"], "fusion": {**fusion, "series": files}}}


def test_sample_pixels_are_one_per_land_cover(tmp_path):
    from stfusion.report.series import sample_pixels

    path = str(tmp_path / "fine.tif")
    write_cog(path, quadrants(0), CRS, TRANSFORM, ["blue", "green", "red", "nir"])
    pixels = sample_pixels(path, 4, seed=3)
    assert sample_pixels(path, 4, seed=3) == pixels  # seeded
    assert sorted((r // 8, c // 8) for r, c in pixels) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert (pixels[0][0] // 8, pixels[0][1] // 8) == (1, 0)  # the darkest cover first


def test_the_series_are_the_cogs_values_at_the_sample_pixels_and_the_filled_share_the_fill_masks_mean(series_files):
    from stfusion.io import read_stack
    from stfusion.report.series import load_series
    from stfusion.report.series_view import curves, quantities

    files = series_files["fuse"]["fusion"]["series"]
    series = load_series(files, ["blue", "green", "red", "nir"], [482, 561, 655, 865])
    rows, cols = map(list, zip(*series.pixels))
    assert len(series.pixels) == 4
    for method, dates in files["predictions"].items():
        assert series.methods[method].dates == sorted(dates)
        for k, date in enumerate(series.methods[method].dates):
            np.testing.assert_array_equal(series.methods[method].values[k], read_stack(dates[date])[:, rows, cols].T)
    coarse_rows, coarse_cols = [r // COARSE_RATIO for r in rows], [c // COARSE_RATIO for c in cols]
    for k, date in enumerate(sorted(files["coarse"])):  # the coarse pixel that holds each sample pixel
        stack, state = read_stack(files["coarse"][date]), read_stack(files["fill"][date])[0]
        np.testing.assert_array_equal(series.coarse.values[k], stack[:, coarse_rows, coarse_cols].T)
        np.testing.assert_array_equal(series.coarse_state[k], state[coarse_rows, coarse_cols])
        between, one_side = series.filled[date]
        assert between == np.mean(state == 1) and one_side == np.mean(state == 2) and 0 < between + one_side < 1
    shown = quantities(series.names, series.centres_nm)
    assert list(shown) == ["NDVI", "nir (865 nm)"]
    plotted = curves(series, shown["NDVI"])
    dates, ndvi = plotted["methods"]["classic"]
    image = read_stack(files["predictions"]["classic"][dates[0]])
    np.testing.assert_allclose(ndvi[0], ndvi_map(image, (2, 3))[rows, cols])
    nir = curves(series, shown["nir (865 nm)"])
    observed, filled = nir["observed"][1], nir["filled"][1]
    state = series.coarse_state
    np.testing.assert_array_equal(np.isfinite(observed), state == 0)  # observed: filled markers
    np.testing.assert_array_equal(np.isfinite(filled), (state == 1) | (state == 2))  # filled in time: hollow ones
    np.testing.assert_array_equal(np.where(state == 0, observed, filled)[np.isfinite(state)],
                                  series.coarse.values[..., 3][np.isfinite(state)])
    np.testing.assert_array_equal(nir["fine"][1], series.fine.values[..., 3])


def test_the_page_shows_the_time_series_and_the_filled_shares(series_files):
    fuse = section(build_report(series_files), "fuse")
    assert "<h4>Time series</h4>" in fuse and "as NDVI and nir (865 nm)" in fuse
    assert "Share of the site&#x27;s coarse pixels filled in time" in fuse
    assert fuse.count("data:image/png;base64,") == 5 + 2


def test_the_uncertainty_section_has_the_reliability_diagram_its_table_and_the_maps_beside_the_errors(fake_run):
    fusion = fake_run["fuse"]["fusion"]
    folder = Path(fusion["summary"]).parents[1]
    reliability, maps = {}, {}
    for k, method in enumerate(fusion["predictions"]):
        reliability[method] = str(folder / f"uncertainty/{method}/reliability.tsv")
        Path(reliability[method]).parent.mkdir(parents=True)
        pd.DataFrame([{"band": band, "stated": s, "observed": s - 0.01 * k, "pixels": 100, "spearman": 0.5,
                       "methods": method} for band in ("red", "all") for s in (0.5, 0.8, 0.9, 0.95)]).to_csv(
            reliability[method], sep="\t", index=False)
        maps[method] = {d: str(folder / f"predictions/{method}/{d}_uncertainty.tif") for d in fusion["predictions"][method]}
        for date, path in maps[method].items():
            raster(path, 4, ["blue", "green", "red", "nir"], 9, date)
    fusion["uncertainty"] = {"reliability": reliability, "maps": maps}
    experiment = load_fusion(fusion, None)
    assert experiment.uncertainty.date == "2021-02-01" and set(experiment.uncertainty.maps) == {"deepnet", "classic"}
    assert list(experiment.uncertainty.reliability["classic"].observed) == pytest.approx([0.49, 0.79, 0.89, 0.94])
    part = section(build_report(fake_run), "fuse")
    assert "Per-pixel uncertainty" in part and "<td>89.0</td>" in part  # classic's observed 90 % coverage
    assert part.count("data:image/png;base64,") == 5 + 2  # the reliability diagram, the error and half-width maps
