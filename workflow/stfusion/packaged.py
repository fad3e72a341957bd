"""The files shipped inside the package (package data, declared in pyproject.toml): the sensor registry
(``data/sensors/``), the spectral response tables (``data/srf/``) and the JSON schemas of the config, the scene
table and a sensor (``schemas/``). Found with importlib.resources, so an installed package (``pip install .``, not
only an editable install of a checkout) finds them; pip installs packages as files, never zipped, so these are
real paths that Snakemake reads as schemas and rule inputs."""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE: Path = files(__package__)
SENSOR_DIR = PACKAGE / "data" / "sensors"
SRF_DIR = PACKAGE / "data" / "srf"


def schema_path(name: str) -> Path:
    """The JSON schema (YAML) ``name``: ``config``, ``scenes`` or ``sensor``."""
    return PACKAGE / "schemas" / f"{name}.schema.yaml"
