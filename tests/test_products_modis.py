"""MODIS exports as scenes (stfusion.products.modis): AppEEARS per-band GeoTIFFs (the .hdf granules: test_products_layouts.py)."""
from __future__ import annotations

import numpy as np
import pytest
from products_fixtures import GRID, MODIS, modis_export, read_files
from stfusion.errors import InputDataError
from stfusion.ingest import open_scene
from stfusion.products import resolve_scene
from stfusion.reproject import warp_reflectance


def test_modis_export_layers_in_band_order_with_the_state_layer(tmp_path):
    b01 = modis_export(tmp_path, "2021-06-01")
    modis_export(tmp_path, "2021-06-09", seed=5)  # another date in the same folder is not mixed in
    product = resolve_scene(str(b01), MODIS)
    assert [p.split("_doy")[0].rsplit(".061_", 1)[1] for p in product.bands] == [f"sur_refl_b0{n}_1" for n in range(1, 8)]
    assert all("doy2021152" in p for p in product.bands)
    assert product.qa.endswith("state_1km_1_doy2021152_aid0001.tif") and product.qa_kind == "modis_state"
    assert product.acquired == ("2021-06-01", "2021-06-01") and product.platform == "terra"
    with open_scene(product, MODIS) as src:
        np.testing.assert_array_equal(src.read(), read_files(product.bands))
        assert src.nodata == -28672
    assert np.isfinite(warp_reflectance(product, MODIS, MODIS.storage, GRID, 16)).all()
    with pytest.raises(InputDataError, match="holds layers of 2 scenes"):
        resolve_scene(str(tmp_path), MODIS)
