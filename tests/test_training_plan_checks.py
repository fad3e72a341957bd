"""What deep methods train on, checked when the DAG is built instead of in the patches job after all the
preprocessing: the patch size against the site's coarse grid (config.check_config) and the reference count against
the fine+coarse pairs of the scene table (scenes.check_reference_counts)."""
import re

import pandas as pd
import pytest
import yaml

from conftest import REPO
from stfusion.config import check_config
from stfusion.errors import ConfigError
from stfusion.scenes import check_reference_counts, read_scene_table


def demo_config() -> dict:
    """The default run's config, with only the deep method edcstfn_2ref at the demo site (16 x 16 MODIS pixels)."""
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["sites"]["demo"]["methods"] = ["edcstfn_2ref"]
    return config


def table(*dates: str) -> pd.DataFrame:
    """A fine and a coarse scene of the demo site on every date."""
    return pd.DataFrame([{"site": "demo", "sensor": sensor, "date": date, "path": "x.tif", "qa": ""}
                         for date in dates for sensor in ("landsat8_oli", "modis")])


def test_a_patch_larger_than_the_sites_coarse_grid_names_patches_size():
    config = demo_config()
    config["patches"]["size"] = 17  # the demo site is 256 x 256 fine pixels: 16 x 16 MODIS pixels
    with pytest.raises(ConfigError, match=re.escape("`patches.size` is 17 coarse pixels, larger than site demo's coarse "
                                                    "grid (modis: 16 x 16 pixels from `sites.demo.bounds`), in which the "
                                                    "training patches of edcstfn_2ref are cut: set `patches.size` to 16")):
        check_config(config)
    config["sites"]["demo"]["methods"] = ["starfm"]  # no patches for a classical method
    check_config(config)


@pytest.mark.parametrize("references, dates, advice", [
    (2, ["2021-06-01", "2021-07-01"], "add fine+coarse pairs to scenes.tsv or set `methods.edcstfn_2ref.references: 1` "
                                      "(the quality filter"),
    (2, ["2021-01-01", "2021-03-01", "2021-12-01"], "add fine+coarse pairs to scenes.tsv, set "
                                                    "`methods.edcstfn_2ref.references: 1` or widen `pairing.window_days`"),
    (1, ["2021-01-01", "2021-12-01"], "add fine+coarse pairs to scenes.tsv or widen `pairing.window_days`"),
    (1, ["2021-01-01"], "on 1 date(s) (2021-01-01): add fine+coarse pairs to scenes.tsv (the quality filter"),
], ids=["two-pairs", "three-pairs-too-far", "two-pairs-too-far", "one-pair"])
def test_a_reference_count_the_scene_table_cannot_give_names_the_key_and_the_fixes(references, dates, advice):
    config = demo_config()
    config["methods"]["edcstfn_2ref"]["references"] = references
    with pytest.raises(ConfigError, match=re.escape(f"`methods.edcstfn_2ref.references` is {references}, but the scene "
                                                    f"table scenes.tsv gives site demo no training group")) as error:
        check_reference_counts(config, table(*dates), "scenes.tsv")
    assert advice in str(error.value)


def test_the_default_runs_table_gives_its_methods_their_groups():
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    check_reference_counts(config, read_scene_table(REPO / config["scenes"]), config["scenes"])
