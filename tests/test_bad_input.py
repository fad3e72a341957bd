"""Bad inputs through snakemake for real (SPEC 2.1-2.4): each case is one mutation of a tiny valid run.

The scenario is self-contained in the test's working directory: one UTM site of 64 x 64 fine
pixels at 30 m, a Landsat-8-like scene with its QA_PIXEL file and a MODIS-like scene in the
sinusoidal projection (int16 reflectance x 10^4 with tagged nodata). Failures found at DAG build
must stop snakemake before any job runs and leave no ``results/``; failures found by a job
(the catalogue opens every raw file) must leave no gridded output of the site. Every message must
name the file, line or config key at fault, where a user would look for it (snakemake's output or
the job's log under ``results/logs/``).

"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from conftest import make_workdir, snakemake
from rasterio.transform import from_origin
from rasterio.warp import transform_bounds

SITE = "tiny"
UTM = "EPSG:32633"
SINU = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"
MODIS_PIXEL = 463.312716528
# 64 x 64 fine pixels of 30 m; both edges on multiples of 30 m x 16 (the MODIS ratio), so the
# grid that the pipeline builds is exactly these bounds.
BOUNDS = (499680.0, 4999680.0, 501600.0, 5001600.0)
LANDSAT_NODATA = -9999
MODIS_NODATA = -28672
QA_CLEAR = 21824  # Landsat C2 QA_PIXEL "clear, low confidence cloud/cirrus/snow"
QA_CLOUD = QA_CLEAR | (1 << 3)  # bit 3: cloud
LANDSAT_DATE, MODIS_DATE = "2021-06-01", "2021-06-01"

CONFIG = {
    "scenes": "scenes.tsv",
    "results": "results",
    "seed": 1,
    "demo": {"enabled": False, "out_dir": "data/demo"},
    "sites": {
        SITE: {
            "bounds": list(BOUNDS),
            "bounds_crs": UTM,
            "epsg": 32633,
            "pixel_size": 30,
            "sensors": {"landsat8_oli": 1, "modis": 16},
            "fusion": {"fine": "landsat8_oli", "coarse": "modis"},
            "storage": {"landsat8_oli": {"scale": 1.0e-4, "offset": 0}},
        }
    },
    "quality": {
        "fine": {"max_cloud": 0.05, "max_nodata": 0.05},
        "coarse": {"max_cloud": 0.05, "max_nodata": 0.01},
    },
    "reproject": {"upsampling": "bilinear"},
    "band_matching": {"min_overlap": 0.2},
    "simulate": [],
}


# ---------------------------------------------------------------- rasters


def write_raster(
    path: Path, data: np.ndarray, crs: str | None, transform, nodata=None
) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    count, height, width = data.shape
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=count,
        dtype=data.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(data)
    return str(path)


def reflectance(shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """Plausible x 10^4 reflectance, int16."""
    return np.random.default_rng(seed).integers(300, 3000, size=shape).astype("int16")


def landsat(
    path: Path, bands: int = 7, shift_m: float = 0.0, crs: str | None = UTM, fill=None
) -> str:
    """A 30 m UTM scene 2 pixels larger than the site on every side (optionally moved east)."""
    data = reflectance((bands, 68, 68))
    if fill is not None:
        data[:] = fill
    transform = from_origin(BOUNDS[0] - 60 + shift_m, BOUNDS[3] + 60, 30, 30)
    return write_raster(path, data, crs, transform, nodata=LANDSAT_NODATA)


def landsat_qa(path: Path, value: int = QA_CLEAR) -> str:
    data = np.full((1, 68, 68), value, dtype="uint16")
    return write_raster(
        path, data, UTM, from_origin(BOUNDS[0] - 60, BOUNDS[3] + 60, 30, 30), nodata=1
    )


def modis(path: Path) -> str:
    """A sinusoidal 463 m scene covering the site with 2 pixels to spare."""
    left, bottom, right, top = transform_bounds(UTM, SINU, *BOUNDS, densify_pts=21)
    x0 = (np.floor(left / MODIS_PIXEL) - 2) * MODIS_PIXEL
    y0 = (np.ceil(top / MODIS_PIXEL) + 2) * MODIS_PIXEL
    width = int(np.ceil((right - x0) / MODIS_PIXEL)) + 2
    height = int(np.ceil((y0 - bottom) / MODIS_PIXEL)) + 2
    return write_raster(
        path,
        reflectance((7, height, width), seed=1),
        SINU,
        from_origin(x0, y0, MODIS_PIXEL, MODIS_PIXEL),
        nodata=MODIS_NODATA,
    )


# ---------------------------------------------------------------- scenario


class Scenario:
    """A working directory with config.yaml, scenes.tsv and raw files under data/ (relative paths)."""

    def __init__(self, workdir: Path, rasters: bool = True):
        self.workdir = make_workdir(workdir)
        self.config = copy.deepcopy(CONFIG)
        self.rows = [
            {
                "site": SITE,
                "sensor": "landsat8_oli",
                "date": LANDSAT_DATE,
                "path": "data/landsat.tif",
                "qa": "data/landsat_qa.tif",
            },
            {
                "site": SITE,
                "sensor": "modis",
                "date": MODIS_DATE,
                "path": "data/modis.tif",
                "qa": "",
            },
        ]
        if rasters:
            landsat(self.path("data/landsat.tif"))
            landsat_qa(self.path("data/landsat_qa.tif"))
            modis(self.path("data/modis.tif"))

    def copy(self, workdir: Path) -> Scenario:
        """The same scenario, results and snakemake metadata included, in another directory."""
        shutil.copytree(self.workdir, workdir, symlinks=True)
        other = Scenario(workdir, rasters=False)
        other.config, other.rows = copy.deepcopy(self.config), copy.deepcopy(self.rows)
        return other

    def path(self, relative: str) -> Path:
        return self.workdir / relative

    def write(self) -> None:
        self.path("config.yaml").write_text(
            yaml.safe_dump(self.config, sort_keys=False)
        )
        pd.DataFrame(
            self.rows, columns=["site", "sensor", "date", "path", "qa"]
        ).to_csv(self.path("scenes.tsv"), sep="\t", index=False)

    def run(self, *args: str):
        """snakemake with this scenario's config (it replaces the default demo config)."""
        self.write()
        return snakemake(self.workdir, "--configfile", str(self.path("config.yaml")), *args, check=False)

    @property
    def site(self) -> dict:
        return self.config["sites"][SITE]

    def results(self) -> Path:
        return self.path("results")

    def messages(self, result) -> str:
        """Everything a user can read after the run: snakemake's output and every job log."""
        logs = (
            sorted(self.results().glob("logs/**/*.log"))
            if self.results().exists()
            else []
        )
        return "\n".join([result.stdout, result.stderr, *(p.read_text() for p in logs)])


def grid_outputs(scenario: Scenario) -> list[Path]:
    """Per-scene outputs of the site (gridded, cleaned, QA reports, inventory)."""
    site = scenario.results() / SITE
    return [
        p
        for stage in ("grid", "clean", "qa")
        for p in (site / stage).rglob("*")
        if p.is_file()
    ]


def assert_failed_at_dag_build(scenario: Scenario, result, *expected: str) -> str:
    """Non-zero exit, no job started, no results/, and every expected fragment in the message."""
    text = scenario.messages(result)
    assert result.returncode != 0, text[-3000:]
    assert "Job stats" not in result.stdout + result.stderr, (
        "jobs were scheduled: the error was not raised at DAG build"
    )
    assert not scenario.results().exists(), sorted(
        map(str, scenario.results().rglob("*"))
    )
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in the message:\n{text[-3000:]}"
    return text


def assert_failed_in_job(scenario: Scenario, result, *expected: str) -> str:
    """Non-zero exit, no per-scene output of the site, and every expected fragment in the message."""
    text = scenario.messages(result)
    assert result.returncode != 0, text[-3000:]
    assert grid_outputs(scenario) == []
    assert not (scenario.results() / SITE / "catalogue.tsv").exists()
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in the message:\n{text[-3000:]}"
    return text


def inventory(scenario: Scenario) -> pd.DataFrame:
    return pd.read_csv(
        scenario.results() / SITE / "qa" / "inventory.tsv",
        sep="\t",
        dtype={"date": str},
    )


@pytest.fixture
def scenario(tmp_path) -> Scenario:
    return Scenario(tmp_path / "work")


# ---------------------------------------------------------------- the valid scenario


@pytest.fixture(scope="module")
def valid_run(tmp_path_factory):
    """The valid scenario, run once end to end."""
    scenario = Scenario(tmp_path_factory.mktemp("valid") / "work")
    return scenario, scenario.run()


def test_valid_scenario_runs_cleanly(valid_run):
    """The baseline that every case below mutates: both scenes are catalogued, gridded, kept and matched."""
    scenario, result = valid_run
    assert result.returncode == 0, scenario.messages(result)[-3000:]
    table = inventory(scenario)
    assert list(zip(table.sensor, table.date)) == [
        ("landsat8_oli", LANDSAT_DATE),
        ("modis", MODIS_DATE),
    ]
    assert table.kept.all(), table
    assert (table.bbox_coverage == 1.0).all(), table
    for sensor, date in zip(table.sensor, table.date):
        assert (
            scenario.results() / SITE / "matched" / sensor / f"{date}.tif"
        ).is_file()


def test_configfile_replaces_default_config(scenario):
    """`snakemake --configfile mine.yaml` (as the Snakefile and the examples say) plans only my sites."""
    result = scenario.run("-n")
    assert result.returncode == 0, scenario.messages(result)[-3000:]
    assert f"results/{SITE}/qa/inventory.tsv" in result.stdout
    assert "results/demo" not in result.stdout


# ---------------------------------------------------------------- 1. missing files


@pytest.mark.parametrize("column", ["path", "qa"])
def test_missing_file_fails_at_dag_build(scenario, column):
    missing = scenario.rows[0][column]
    scenario.path(missing).unlink()
    dry = scenario.run("-n")
    assert dry.returncode != 0
    result = scenario.run()
    for run in (dry, result):
        assert_failed_at_dag_build(
            scenario, run, "scenes.tsv line 2", missing, "does not exist"
        )


# ---------------------------------------------------------------- 2-5. files that the catalogue rejects


def test_unreadable_raster_fails(scenario):
    scenario.path("data/landsat.tif").write_bytes(b"this is not a GeoTIFF\n" * 64)
    assert_failed_in_job(
        scenario, scenario.run(), "data/landsat.tif", "not a readable raster"
    )


def test_unreadable_qa_fails(scenario):
    scenario.path("data/landsat_qa.tif").write_bytes(b"\x00garbage" * 64)
    assert_failed_in_job(
        scenario, scenario.run(), "data/landsat_qa.tif", "not a readable raster"
    )


def test_raster_without_crs_fails(scenario):
    landsat(scenario.path("data/landsat.tif"), crs=None)
    assert_failed_in_job(
        scenario, scenario.run(), "data/landsat.tif", "has no CRS", "-a_srs"
    )


def test_job_error_is_in_the_job_log(scenario):
    landsat(scenario.path("data/landsat.tif"), bands=5)
    result = scenario.run()
    assert result.returncode != 0
    assert (
        "has 5 bands" in scenario.path(f"results/logs/{SITE}/catalogue.log").read_text()
    )


def test_scene_outside_its_site_fails(scenario):
    landsat(scenario.path("data/landsat.tif"), shift_m=200_000.0)
    assert_failed_in_job(
        scenario, scenario.run(), "data/landsat.tif", "does not overlap site tiny"
    )


def test_band_count_mismatch_fails(scenario):
    landsat(scenario.path("data/landsat.tif"), bands=5)
    assert_failed_in_job(
        scenario, scenario.run(), "data/landsat.tif", "5 bands", "landsat8_oli has 7"
    )


def truncated_cog(path: Path) -> str:
    """The Landsat scene as a Cloud-Optimized GeoTIFF cut after 60 % of its bytes: its header (at the start)
    opens and describes it, but the last blocks are gone (a download cut short)."""
    with rasterio.open(landsat(path)) as src:
        data, profile = src.read(), src.profile
    profile.update(driver="COG", blocksize=32)
    profile.pop("blockxsize"), profile.pop("blockysize"), profile.pop("tiled", None)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * 0.6)])
    return str(path)


def float_reflectance(path: Path) -> str:
    """The Landsat scene as float32 reflectance 0..1, under the site's int16 x 1e-4 storage (issue 27)."""
    with rasterio.open(landsat(path)) as src:
        data, profile = src.read(), src.profile
    profile.update(dtype="float32", nodata=None)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write((data * 1e-4).astype("float32"))
    return str(path)


@pytest.mark.parametrize("write, expected", [
    (truncated_cog, ["data/landsat.tif cannot be read in full", "truncated or damaged", "download or export it again"]),
    (float_reflectance, ["data/landsat.tif holds float32 values", "already reflectance 0..1",
                         "config key `sites.tiny.storage.landsat8_oli`", "{scale: 1, offset: 0}"]),
], ids=["truncated-cog", "float-reflectance-under-int16-x1e-4"])
def test_scene_that_cannot_be_used_as_stored_fails_before_the_catalogue_is_written(scenario, write, expected):
    write(scenario.path("data/landsat.tif"))
    assert_failed_in_job(scenario, scenario.run(), *expected)


# ---------------------------------------------------------------- 6-8. scene table and sensors


def test_row_sensor_not_in_site_fails_at_dag_build(scenario):
    scenario.rows[0]["sensor"] = "sentinel2_msi"
    assert_failed_at_dag_build(
        scenario,
        scenario.run(),
        "scenes.tsv line 2",
        "'sentinel2_msi'",
        "sites.tiny.sensors",
    )


def test_site_sensor_defined_nowhere_fails_at_dag_build(scenario):
    scenario.site["sensors"]["foosat"] = 16
    assert_failed_at_dag_build(
        scenario, scenario.run(), "sites.tiny.sensors", "unknown sensor 'foosat'", "config key `sensors:`"
    )


@pytest.mark.parametrize(
    "date",
    ["2021-13-01", "2021/05/01", "20210501"],
)
def test_malformed_date_fails_at_dag_build(scenario, date):
    scenario.rows.append({**scenario.rows[0], "date": date})
    assert_failed_at_dag_build(scenario, scenario.run(), "scenes.tsv line 4", date)


def test_duplicate_scene_fails_at_dag_build(scenario):
    scenario.rows.append(dict(scenario.rows[0]))
    assert_failed_at_dag_build(
        scenario, scenario.run(), "scenes.tsv lines 2, 4", "landsat8_oli", LANDSAT_DATE
    )


# ---------------------------------------------------------------- 9. empty scenes are dropped, not errors


def test_all_nodata_and_all_cloud_scenes_are_dropped(valid_run, tmp_path):
    """Added to the valid run: the run still succeeds, and the inventory says why each is dropped."""
    scenario = valid_run[0].copy(tmp_path / "work")
    landsat(scenario.path("data/empty.tif"), fill=LANDSAT_NODATA)
    landsat(scenario.path("data/cloudy.tif"))
    landsat_qa(scenario.path("data/cloudy_qa.tif"), QA_CLOUD)
    scenario.rows += [
        {
            "site": SITE,
            "sensor": "landsat8_oli",
            "date": "2021-06-17",
            "path": "data/empty.tif",
            "qa": "",
        },
        {
            "site": SITE,
            "sensor": "landsat8_oli",
            "date": "2021-07-03",
            "path": "data/cloudy.tif",
            "qa": "data/cloudy_qa.tif",
        },
    ]
    result = scenario.run()
    assert result.returncode == 0, scenario.messages(result)[-3000:]
    table = inventory(scenario).set_index("date")
    assert not table.loc["2021-06-17", "kept"]
    assert table.loc["2021-06-17", "reason"] == "all pixels are nodata"
    assert table.loc["2021-06-17", "nodata_fraction"] == 1.0
    assert not table.loc["2021-07-03", "kept"]
    assert table.loc["2021-07-03", "reason"].startswith("no clear pixel")
    assert table.loc["2021-07-03", "cloud_fraction"] == 1.0
    assert table.loc[LANDSAT_DATE].kept.all()


def test_half_qa_and_out_of_range_values_are_in_the_inventory(valid_run, tmp_path):
    """Issue 27: a QA file over half the site leaves the other half unknown (nodata), not clear; reflectance
    beyond the range is counted per scene and clipped (the default action)."""
    scenario = valid_run[0].copy(tmp_path / "work")
    landsat(scenario.path("data/half.tif"))
    qa = np.full((1, 68, 34), QA_CLEAR, dtype="uint16")  # the western half of the scene
    write_raster(scenario.path("data/half_qa.tif"), qa, UTM, from_origin(BOUNDS[0] - 60, BOUNDS[3] + 60, 30, 30))
    with rasterio.open(landsat(scenario.path("data/dark.tif"))) as src:
        data, profile = src.read(), src.profile
    data[:, 10, 10:15] = -500  # reflectance -0.05: 5 pixels below the 0.01 tolerance
    with rasterio.open(scenario.path("data/dark.tif"), "w", **profile) as dst:
        dst.write(data)
    scenario.rows += [
        {"site": SITE, "sensor": "landsat8_oli", "date": "2021-06-17", "path": "data/half.tif", "qa": "data/half_qa.tif"},
        {"site": SITE, "sensor": "landsat8_oli", "date": "2021-07-03", "path": "data/dark.tif", "qa": ""},
    ]
    result = scenario.run()
    assert result.returncode == 0, scenario.messages(result)[-3000:]
    table = inventory(scenario).set_index("date")
    half = table.loc["2021-06-17"]
    assert not half.kept and half.no_qa_fraction == pytest.approx(0.5, abs=0.05)
    assert "without a QA value" in half.reason and "half_qa.tif has no value for" in scenario.messages(result)
    dark = table.loc["2021-07-03"]
    assert dark.kept and (dark.below_range_pixels, dark.above_range_pixels) == (5, 0)
    with rasterio.open(scenario.results() / SITE / "clean/landsat8_oli/2021-07-03.tif") as src:
        assert src.read()[:, 8, 8:13].min() == pytest.approx(-0.01)  # 2 pixels of margin outside the site


# ---------------------------------------------------------------- 10. config values


def _unknown_key(config):
    config["fusoin"] = {"fine": "landsat8_oli", "coarse": "modis"}


def _negative_pixel_size(config):
    config["sites"][SITE]["pixel_size"] = -30


def _max_cloud(config):
    config["quality"]["fine"]["max_cloud"] = 1.5


def _fusion_fine(config):
    config["sites"][SITE]["fusion"]["fine"] = "sentinel2_msi"


def _ratio_zero(config):
    config["sites"][SITE]["sensors"]["modis"] = 0


def _device_gpu(config):
    config["training"] = {"device": "gpu"}


def _deep_method(references: int, patch_size: int):
    """A deep method on the site (4 x 4 MODIS pixels, one fine+coarse pair in the table)."""
    def mutate(config):
        config["methods"] = {"net": {"model": "edcstfn", "references": references}}
        config["patches"] = {"size": patch_size, "stride": patch_size}
    return mutate


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (_unknown_key, ["fusoin"]),
        (_negative_pixel_size, ["pixel_size", "-30"]),
        (_max_cloud, ["max_cloud", "1.5"]),
        (_fusion_fine, ["sites.tiny.fusion.fine", "sentinel2_msi"]),
        (_ratio_zero, ["sensors", "modis", "0"]),
        (_device_gpu, ["config key `training.device`: 'gpu' is not a value it takes: write auto"]),
        (_deep_method(1, 8), ["`patches.size` is 8 coarse pixels", "(modis: 4 x 4 pixels", "set `patches.size` to 4"]),
        (_deep_method(2, 4), ["`methods.net.references` is 2, but the scene table scenes.tsv gives site tiny no "
                              "training group", f"on 1 date(s) ({LANDSAT_DATE})"]),
    ],
    ids=[
        "unknown-key",
        "negative-pixel-size",
        "max-cloud-1.5",
        "fusion-fine-not-a-site-sensor",
        "ratio-0",
        "training-device-gpu",
        "patch-larger-than-the-site",
        "references-the-table-cannot-give",
    ],
)
def test_bad_config_value_fails_at_dag_build(scenario, mutate, expected):
    mutate(scenario.config)
    assert_failed_at_dag_build(scenario, scenario.run(), *expected)
