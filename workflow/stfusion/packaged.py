"""The files shipped inside the package (package data, declared in pyproject.toml): the sensor registry
(``data/sensors/``), the spectral response tables (``data/srf/``) and the JSON schemas of the config, the scene
table and a sensor (``schemas/``). Found with importlib.resources, so an installed package (``pip install .``, not
only an editable install of a checkout) finds them; pip installs packages as files, never zipped, so these are
real paths that Snakemake reads as schemas and rule inputs."""
from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

import yaml

PACKAGE: Path = files(__package__)
SENSOR_DIR = PACKAGE / "data" / "sensors"
SRF_DIR = PACKAGE / "data" / "srf"


def schema_path(name: str) -> Path:
    """The JSON schema (YAML) ``name``: ``config``, ``scenes`` or ``sensor``."""
    return PACKAGE / "schemas" / f"{name}.schema.yaml"


@functools.cache
def _parsed_schema(name: str) -> dict:
    """The schema ``name`` parsed once per process (tiling and train read defaults from it when a job starts)."""
    return yaml.safe_load(schema_path(name).read_text())


def schema_defaults(name: str, *keys: str) -> dict:
    """The ``default`` of every property of the object at ``keys`` of schema ``name`` (``schema_defaults("config",
    "prediction")``: tile, overlap, ...): the one source of the defaults that code outside the pipeline (tests,
    benches) falls back on, the same that Snakemake's validation fills into a config."""
    node = _parsed_schema(name)
    for key in keys:
        node = node["properties"][key]
    return {key: spec["default"] for key, spec in node["properties"].items() if "default" in spec}
