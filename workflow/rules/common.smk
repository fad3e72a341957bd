# Config and scene-table validation, and the input functions shared by every rule file.
import os
import sys

from snakemake.utils import validate

# The stfusion package; scripts import it through the workflow/scripts/stfusion link, because
# Snakemake puts a script's own folder on its sys.path.
sys.path.insert(0, os.path.join(workflow.basedir, "workflow"))

from stfusion.config import check_config, check_schema, site_grid
from stfusion.demo.scenario import scene_rows, truth_files
from stfusion.scenes import check_scene_table, read_scene_table


check_schema(config, os.path.join(workflow.basedir, "config/schemas/config.schema.yaml"))
validate(config, "../../config/schemas/config.schema.yaml")
check_config(config)

RESULTS = config.get("results", "results")
DEMO_DIR = config["demo"]["out_dir"] if config.get("demo", {}).get("enabled") else None
SCENES = read_scene_table(config["scenes"])
check_scene_table(SCENES, config, config["scenes"], generated_dir=DEMO_DIR)
validate(SCENES, "../../config/schemas/scenes.schema.yaml")
GRIDS = {site: site_grid(config, site) for site in config["sites"]}


wildcard_constraints:
    site=r"[A-Za-z0-9_\-]+",
    sensor=r"[A-Za-z0-9_]+",
    date=r"\d{4}-\d{2}-\d{2}",
    source=r"[A-Za-z0-9_]+",


def scene_row(wildcards):
    """The scene-table row of (site, sensor, date)."""
    rows = SCENES[
        (SCENES.site == wildcards.site) & (SCENES.sensor == wildcards.sensor) & (SCENES.date == wildcards.date)
    ]
    return rows.iloc[0]


def raw_inputs(wildcards):
    """The raw scene and, when the table gives one, its QA file."""
    row = scene_row(wildcards)
    return {"scene": row.path, "qa": row.qa} if row.qa else {"scene": row.path}


def site_scenes(site):
    """(sensor, date) of every scene of a site."""
    rows = SCENES[SCENES.site == site]
    return list(zip(rows.sensor, rows.date))


def site_raw_files(wildcards):
    rows = SCENES[SCENES.site == wildcards.site]
    return sorted(set(rows.path) | set(p for p in rows.qa if p))


def site_outputs(site, stage):
    """One stage's per-scene outputs for every scene of the site."""
    return [f"{RESULTS}/{site}/{stage}/{sensor}/{date}.tif" for sensor, date in site_scenes(site)]


def matched_outputs(site):
    fusion = config["sites"][site].get("fusion")
    if not fusion:
        return []
    return [
        f"{RESULTS}/{site}/matched/{sensor}/{date}.tif"
        for sensor, date in site_scenes(site)
        if sensor in (fusion["fine"], fusion["coarse"])
    ]


def simulated_outputs():
    return [
        f"{RESULTS}/{sim['site']}/simulated/{sim['target']}/from_{sim['source']}/{date}.tif"
        for sim in config.get("simulate", [])
        for sensor, date in site_scenes(sim["site"])
        if sensor == sim["source"]
    ]


def final_outputs():
    outputs = simulated_outputs()
    for site in config["sites"]:
        outputs.append(f"{RESULTS}/{site}/qa/inventory.tsv")
        outputs += matched_outputs(site)
    return outputs


def site_config(wildcards):
    """The site's config entry (a rule parameter, so a change re-runs the jobs that use it)."""
    return config["sites"][wildcards.site]


def demo_files(out_dir):
    """Every file that the demo writes (raw scenes, their QA files and the truth)."""
    rows = scene_rows(out_dir)
    return [r["path"] for r in rows] + [r["qa"] for r in rows] + truth_files(out_dir)


def simulation(wildcards):
    """The config's `simulate` entry for this site, target and source."""
    for sim in config.get("simulate", []):
        if (sim["site"], sim["target"], sim["source"]) == (wildcards.site, wildcards.sensor, wildcards.source):
            return sim
    raise ValueError(f"no `simulate` entry for {wildcards}")
