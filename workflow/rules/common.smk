# The run's common ground, included first: the config and the scene table validated before any job is planned,
# the run's globals (RESULTS, DEMO_DIR, SCENES, GRIDS, PRODUCTS) and the wildcard constraints of every rule. Every
# other rule file reads these names; the input functions are in *_inputs.smk, job_params.smk and targets.smk.
from pathlib import Path

from snakemake.utils import validate

from stfusion.config import check_config, check_schema, site_grid
from stfusion.ingest import table_products
from stfusion.packaged import schema_path
from stfusion.results_folder import check_results_folder, claim_results_folder, input_folders
from stfusion.scenes import check_reference_counts, check_scene_table, check_sts_scenes, read_scene_table
from stfusion.schedule import check_series
from stfusion.truth import check_site_truths


check_schema(config, schema_path("config"))
validate(config, schema_path("config"))
check_config(config)

RESULTS = config.get("results", "results")
DEMO_DIR = config["demo"]["out_dir"] if config.get("demo", {}).get("enabled") else None
SCENES = read_scene_table(config["scenes"])
check_scene_table(SCENES, config, config["scenes"], generated_dir=DEMO_DIR)
validate(SCENES, schema_path("scenes"))
check_results_folder(RESULTS, Path(workflow.basedir), input_folders(config["scenes"], [*SCENES.path, *SCENES.qa]))
GRIDS = {site: site_grid(config, site) for site in config["sites"]}
check_sts_scenes(config, SCENES, config["scenes"])
check_reference_counts(config, SCENES, config["scenes"])
check_series(config, SCENES, config["scenes"])
PRODUCTS = table_products(SCENES, config, generated_dir=DEMO_DIR)
check_site_truths(config, SCENES, generated_dir=DEMO_DIR)


onstart:  # jobs are about to run (never in a dry run): the results folder becomes one that stfusion's runs write
    claim_results_folder(RESULTS)


wildcard_constraints:
    site=r"[A-Za-z0-9_\-]+",
    sensor=r"[A-Za-z0-9_]+",
    date=r"\d{4}-\d{2}-\d{2}",
    source=r"[A-Za-z0-9_]+",
    method=r"[A-Za-z0-9_]+",
    k=r"[12]",
    references=r"\d{4}-\d{2}-\d{2}(_\d{4}-\d{2}-\d{2})*",  # a reference group: its dates joined by _
