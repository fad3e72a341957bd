"""The demo in the ``products`` layout (Landsat 8 as C2 L2 products, MODIS as AppEEARS layers) reprojects to the
same reflectance and QA flags as the stacked layout of the default run (its first part, ``demo_preprocessed``): the readers, the VRT
stacking and the MTL scaling lose nothing."""
from __future__ import annotations

import numpy as np
import pandas as pd
import rasterio
import yaml
from conftest import REPO, make_workdir, snakemake
from stfusion.demo.scenario import SITES, scene_rows

DEMO = next(s for s in SITES if s.name == "demo")
TARGETS = [f"results/demo/grid/{a.sensor}/{a.date}{suffix}.tif" for a in DEMO.acquisitions for suffix in ("", "_flags")]


def products_workdir(path):
    """The default config with ``demo.layout: products``, its scene table, and the storage its MTLs state."""
    workdir = make_workdir(path)
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["demo"]["layout"] = "products"
    config["scenes"] = "scenes.tsv"
    config["sites"]["demo"]["storage"]["landsat8_oli"] = {"scale": 1.0e-4, "offset": -0.2}
    (workdir / "products.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    pd.DataFrame(scene_rows(config["demo"]["out_dir"], "products")).to_csv(workdir / "scenes.tsv", sep="\t", index=False)
    return workdir


def test_demo_products_layout_landsat_c2_and_modis_equal_the_stacked_layout(demo_preprocessed, tmp_path):
    products = products_workdir(tmp_path / "products")
    snakemake(products, *TARGETS, "--configfile", str(products / "products.yaml"))
    assert any((products / "data/demo/raw/demo/landsat8_oli").glob("LC08_L2SP_*_02_T1/*_SR_B7.TIF"))
    assert any((products / "data/demo/raw/demo/modis").glob("MOD09GA.061_state_1km_1_doy*_aid0001.tif"))
    catalogue = pd.read_csv(products / "results/demo/catalogue.tsv", sep="\t")
    assert set(catalogue["product"]) == {"landsat_c2", "modis_export"}
    for target in TARGETS:
        with rasterio.open(demo_preprocessed / target) as a, rasterio.open(products / target) as b:
            np.testing.assert_array_equal(b.read(), a.read(), err_msg=target)
