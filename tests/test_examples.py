"""Every example config is valid: schema, cross-key checks and the site grids."""
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from stfusion.config import check_config, check_schema, site_grid
from stfusion.packaged import schema_path

SCHEMA = schema_path("config")
CONFIGS = sorted((REPO / "config").glob("*.yaml")) + sorted((REPO / "config/examples").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_example_config_is_valid(path: Path):
    config = yaml.safe_load(path.read_text())
    check_schema(config, SCHEMA)
    check_config(config)
    for site in config["sites"]:
        assert site_grid(config, site).crs.startswith("EPSG:32")
