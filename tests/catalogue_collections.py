"""ItemCollections as the Planetary Computer and Earth Search return them, of the small fake products of
``products_fixtures``: each item is a REAL catalogue item (tests/data/products/stac, PROVENANCE.md there) with its
id, dates and band/QA hrefs changed to those of one local product; every other field stays as the catalogue wrote it.

The dates are those of MOD09A1 8-day composites (day of year 153, 161, 169 of 2021), so that the MODIS items'
periods start on the rows' dates; Landsat and Sentinel-2 have a scene on the first and the last.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import rasterio
from layouts_fixtures import earth_search_folder
from products_fixtures import CATALOGUE_ITEMS, MODIS, landsat_c2, landsat_product_id, modis_export
from stfusion.demo import layouts

FINE_DATES = ("2021-06-02", "2021-06-18")
MODIS_DATES = ("2021-06-02", "2021-06-10", "2021-06-18")
S2_KEYS = {"coastal": "B01", "blue": "B02", "green": "B03", "red": "B04", "rededge1": "B05", "rededge2": "B06",
           "rededge3": "B07", "nir": "B08", "nir08": "B8A", "swir16": "B11", "swir22": "B12", "scl": "SCL"}


def _template(name: str) -> dict:
    return json.loads((CATALOGUE_ITEMS / f"{name}.json").read_text())


def _relative(file: Path, collection: Path) -> str:
    return os.path.relpath(file, collection.parent)


def pc_landsat_items(workdir: Path, collection: Path) -> Path:
    """Planetary Computer landsat-c2-l2 items (the real LC09 item) of Landsat 8 C2 L2 products in ``downloads``."""
    template, items = _template("pc_landsat_c2_l2_LC09"), []
    keys = ["coastal", "blue", "green", "red", "nir08", "swir16", "swir22", "qa_pixel"]
    for i, date in enumerate(FINE_DATES):
        mtl = landsat_c2(workdir / "downloads" / landsat_product_id(date), date, seed=20 + i)
        stem, item = mtl.stem[:-4], copy.deepcopy(template)
        item["id"], item["properties"]["platform"] = stem, "landsat-8"
        item["properties"]["datetime"] = f"{date}T10:30:00Z"
        for key, name in zip(keys, [*(f"SR_B{n}" for n in range(1, 8)), "QA_PIXEL"]):
            item["assets"][key]["href"] = _relative(mtl.parent / f"{stem}_{name}.TIF", collection)
        items.append(item)
    return layouts.write_item_collection(collection, items)


def pc_modis_items(workdir: Path, collection: Path) -> Path:
    """Planetary Computer modis-09A1-061 items (the real MOD09A1 item) of 8-day composites starting on MODIS_DATES:
    the reflectance layers of ``modis_export`` and a clear 500 m state layer on their grid."""
    template, items = _template("pc_modis_09A1"), []
    for i, date in enumerate(MODIS_DATES):
        b01 = modis_export(workdir / "downloads" / "mod09a1", date, seed=10 + i)
        with rasterio.open(b01) as src:
            state = layouts.write_band(b01.parent / b01.name.replace("sur_refl_b01_1", "sur_refl_state_500m"),
                                       np.zeros(src.shape, dtype="uint16"), src.crs.to_wkt(), src.transform)
        start = dt.date.fromisoformat(date)
        item = copy.deepcopy(template)
        item["id"] = f"MOD09A1.A{start:%Y%j}.h18v04.061"
        item["properties"].update(start_datetime=f"{date}T00:00:00Z", end_datetime=f"{start + dt.timedelta(7)}T23:59:59Z")
        for name in MODIS.band_names:
            layer = f"sur_refl_b{int(name.removeprefix('B')):02d}"
            item["assets"][layer]["href"] = _relative(b01.parent / b01.name.replace("sur_refl_b01", layer), collection)
        item["assets"]["sur_refl_state_500m"]["href"] = _relative(state, collection)
        items.append(item)
    return layouts.write_item_collection(collection, items)


def es_sentinel2_items(workdir: Path, collection: Path, dates=FINE_DATES) -> Path:
    """Earth Search v1 sentinel-2-l2a items (the real S2A_39QTA item, boa_offset_applied) of Earth Search COG
    folders (``B04.tif``, ``SCL.tif``: DN = reflectance x 10^4, the BOA offset already applied)."""
    template, items = _template("earth_search_v1_sentinel2"), []
    for i, date in enumerate(dates):
        folder = earth_search_folder(workdir / "downloads" / f"S2A_33TUL_{date}", tileinfo=False, seed=4 + i)
        item = copy.deepcopy(template)
        item["id"], item["properties"]["datetime"] = f"S2A_33TUL_{date.replace('-', '')}_0_L2A", f"{date}T10:30:00Z"
        for key, code in S2_KEYS.items():
            item["assets"][key]["href"] = _relative(folder / f"{code}.tif", collection)
        items.append(item)
    return layouts.write_item_collection(collection, items)
