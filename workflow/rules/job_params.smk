# What a job depends on besides its data, for its inputs and params (scripts never read `config`): the
# definitions of the sensors it uses (rule sensor_definition), and the site's grid. Uses RESULTS and GRIDS
# (common.smk).
from dataclasses import asdict

from stfusion.sensors import load_sensor, registry_definition


def sensor_definition(name):
    """A sensor's definition: the config's `sensors:` entry, else the content of its registry file."""
    own = config.get("sensors") or {}
    return own[name] if name in own else registry_definition(name)[0]


def srf_table(wildcards):
    """The sensor's tabulated SRF file, if it has one (a file its definition names)."""
    table = load_sensor(wildcards.sensor, config.get("sensors")).srf_table
    return [str(table)] if table else []


def sensor_files(names):
    """The definition files of the named sensors (a job's input: the sensors it uses)."""
    return [f"{RESULTS}/sensors/{name}.yaml" for name in names]


def site_grid_fields(wildcards):
    """The site's grid (its SiteGrid's fields, from the bounds, pixel size, EPSG, anchor and sensor ratios)."""
    return asdict(GRIDS[wildcards.site])


def method_config(wildcards):
    """The config sections an STS or spectral method's settings come from besides its own entry
    (``from_config`` of stfusion.sts.method and stfusion.spectral.method); as a param, a change of any of them
    reruns the method's jobs (e.g. ``prediction`` the training of a two-stage baseline, whose stage 1 it sets)."""
    return {"training": config["training"], "prediction": config["prediction"], "seed": config["seed"]}
