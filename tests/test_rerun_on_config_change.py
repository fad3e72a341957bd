"""Editing a sensor's definition re-runs the jobs that use that sensor, and only those (issue 17): no script reads
the config; the jobs of a sensor read its definition from the file of rule sensor_definition, whose params are the
definition (the config's entry, else the registry file's content).

A finished preprocessing run of the `lgc_crop` sample (config/examples/lgc_crop.yaml: both sensors defined under
`sensors:`), then dry runs with one sensor's band FWHM edited.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import REPO, make_workdir, snakemake
from stfusion.packaged import SENSOR_DIR

SITE = "lgc_crop"
FINE, COARSE = "landsat5_tm_gnr", "modis_sim_tm"
DATES = ("2004-11-26", "2004-12-28")
RESULTS = f"results/{SITE}"
TARGETS = [f"{RESULTS}/qa/inventory.tsv", *(f"{RESULTS}/matched/{s}/{d}.tif" for s in (FINE, COARSE) for d in DATES)]


def example() -> dict:
    return yaml.safe_load((REPO / "config/examples/lgc_crop.yaml").read_text())


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """Working directory after the example's preprocessing (catalogue to matched bands)."""
    workdir = make_workdir(tmp_path_factory.mktemp("rerun"))
    planned(workdir, example(), dry=False)
    return workdir


def planned(workdir: Path, config: dict, dry: bool = True) -> set[str]:
    """The outputs of the jobs that Snakemake plans (or runs: not ``dry``) for the preprocessing targets under
    ``config``."""
    path = workdir / "config_under_test.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    # targets first: --configfile takes every argument after it
    result = snakemake(workdir, *TARGETS, *(["-n"] if dry else []), "--configfile", str(path))
    return {out for line in re.findall(r"^\s+output: (.*)$", result.stdout, flags=re.M) for out in line.split(", ")}


def scene_jobs(sensor: str) -> set[str]:
    """The reprojection and quality outputs of a sensor's scenes."""
    return {f"{RESULTS}/{stage}/{sensor}/{date}.{ext}" for date in DATES
            for stage, ext in (("grid", "tif"), ("qa", "json"))}


def test_an_unchanged_config_plans_nothing(run):
    assert planned(run, example()) == set()


@pytest.mark.parametrize("edited, other", [(FINE, COARSE), (COARSE, FINE)])
def test_a_sensor_edit_reruns_its_scenes_and_the_band_matching_only(run, edited, other):
    config = example()
    config["sensors"][edited]["bands"][1]["fwhm_nm"] += 1.0
    jobs = planned(run, config)
    assert scene_jobs(edited) <= jobs
    assert {f"{RESULTS}/catalogue.tsv", f"{RESULTS}/matched/bands.json", f"{RESULTS}/qa/inventory.tsv"} <= jobs
    assert {f"{RESULTS}/matched/{s}/{d}.tif" for s in (FINE, COARSE) for d in DATES} <= jobs  # new band table
    assert f"results/sensors/{edited}.yaml" in jobs
    assert not (scene_jobs(other) | {f"results/sensors/{other}.yaml"}) & jobs


def test_a_registry_sensor_definition_is_its_registry_file(tmp_path):
    """The default config's sensors come from the package's registry (data/sensors/): editing one changes its definition job's params."""
    workdir = make_workdir(tmp_path)
    snakemake(workdir, "results/sensors/landsat8_oli.yaml")
    written = yaml.safe_load((workdir / "results/sensors/landsat8_oli.yaml").read_text())
    assert written == yaml.safe_load((SENSOR_DIR / "landsat8_oli.yaml").read_text())
