"""Small fake products over one UTM site, laid out as the real ones (writers: ``stfusion.demo.layouts``).

The site is 64 x 64 fine pixels of 30 m in UTM 33N (as in test_bad_input.py); Landsat products are 30 m
UTM scenes two pixels larger on every side, on the site's pixel edges; MODIS exports are sinusoidal 463 m
layers (1 km state layer) covering the site; Sentinel-2 SAFEs are 10 m tiles over the site.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.warp import transform_bounds
from stfusion.demo import layouts
from stfusion.grid import SiteGrid
from stfusion.sensors import load_sensor

UTM = "EPSG:32633"
SINU = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"
MODIS_PIXEL = 463.312716528
BOUNDS = (499680.0, 4999680.0, 501600.0, 5001600.0)
GRID = SiteGrid(crs=UTM, x_min=BOUNDS[0], y_max=BOUNDS[3], pixel_size=30.0, width=64, height=64,
                ratios={"landsat8_oli": 1, "modis": 16, "sentinel2_msi": 1})
QA_CLEAR = 21824  # QA_PIXEL: clear, low-confidence cloud, cirrus and snow
LANDSAT = load_sensor("landsat8_oli")
MODIS = load_sensor("modis")
SENTINEL2 = load_sensor("sentinel2_msi")


def landsat_product_id(date: str, satellite: int = 8) -> str:
    """LC08 (OLI/TIRS), LE07 (ETM+) or LT05 (TM) product ID, WRS-2 path 190 row 028, processed on the 28th."""
    day = date.replace("-", "")
    return f"{ {5: 'LT', 7: 'LE'}.get(satellite, 'LC')}{satellite:02d}_L2SP_190028_{day}_{day[:6]}28_02_T1"


def landsat_c2(folder: Path, date: str, seed: int = 0, mtl: str = "json", scale: float = 2.75e-5,
               offset: float = -0.2, sensor=LANDSAT) -> Path:
    """A C2 L2 product of plausible reflectance (0.02 .. 0.4), clear QA; returns the MTL file."""
    rng = np.random.default_rng(seed)
    reflectance = rng.uniform(0.02, 0.4, size=(len(sensor.bands), 68, 68))
    dn = np.round((reflectance - offset) / scale).astype("uint16")
    qa = np.full((68, 68), QA_CLEAR, dtype="uint16")
    transform = Affine(30, 0, BOUNDS[0] - 60, 0, -30, BOUNDS[3] + 60)
    satellite = int(re.search(r"\d", sensor.name)[0])  # landsat7_etm -> 7
    return layouts.write_landsat_c2(folder, landsat_product_id(date, satellite), dn, qa, UTM, transform,
                                    sensor.band_names, scale, offset, mtl)


def modis_export(folder: Path, date: str, seed: int = 1) -> Path:
    """AppEEARS MOD09GA layers covering the site (int16 x 10^4, clear state); returns the b01 file."""
    left, bottom, right, top = transform_bounds(UTM, SINU, *BOUNDS, densify_pts=21)
    x0, y0 = (np.floor(left / MODIS_PIXEL) - 2) * MODIS_PIXEL, (np.ceil(top / MODIS_PIXEL) + 2) * MODIS_PIXEL
    width, height = int(np.ceil((right - x0) / MODIS_PIXEL)) + 2, int(np.ceil((y0 - bottom) / MODIS_PIXEL)) + 2
    width, height = width + width % 2, height + height % 2
    dn = np.random.default_rng(seed).integers(300, 3000, size=(7, height, width)).astype("int16")
    state = np.zeros((height // 2, width // 2), dtype="uint16")
    return layouts.write_modis_export(folder, "MOD09GA.061", date, dn, state, SINU,
                                      Affine(MODIS_PIXEL, 0, x0, 0, -MODIS_PIXEL, y0),
                                      Affine(2 * MODIS_PIXEL, 0, x0, 0, -2 * MODIS_PIXEL, y0), MODIS.band_names)


def sentinel2_l2a(folder: Path, seed: int = 2, baseline: str = "04.00", add_offset: float | None = -1000,
                  scl: np.ndarray | None = None) -> Path:
    """An L2A SAFE of 192 x 192 pixels of 10 m over the site (the 64 x 64 30 m grid); returns the .SAFE folder."""
    rng = np.random.default_rng(seed)
    codes = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12"]
    dn10 = {c: rng.integers(1200, 5000, size=(192, 192)).astype("uint16") for c in codes}
    scl20 = np.full((96, 96), 4, dtype="uint8") if scl is None else scl
    return layouts.write_sentinel2_l2a(folder, dn10, scl20, UTM, BOUNDS[0], BOUNDS[3], baseline=baseline,
                                       add_offset=add_offset, sensing=f"2022010{seed}T101411")


def read_files(files) -> np.ndarray:
    """The first band of each file, stacked (the hand-made stack a reader must reproduce)."""
    planes = []
    for file in files:
        with rasterio.open(file) as src:
            planes.append(src.read(1))
    return np.stack(planes)


def stac_collections(folder: Path, landsat_dates=("2021-06-01", "2021-06-17"),
                     modis_dates=("2021-06-01", "2021-06-09", "2021-06-17"), absolute: bool = False) -> tuple[Path, Path]:
    """Landsat C2 L2 products and MODIS exports under ``folder/downloads``, and one ItemCollection per sensor in
    ``folder/stac`` (relative hrefs unless ``absolute``), as a STAC API search would return them."""
    downloads, stac = folder / "downloads", folder / "stac"
    base = None if absolute else stac
    landsat_items = []
    for i, date in enumerate(landsat_dates):
        mtl = landsat_c2(downloads / landsat_product_id(date), date, seed=i)
        assets = layouts.landsat_c2_assets(mtl, LANDSAT.band_names, [b.label for b in LANDSAT.bands])
        landsat_items.append(layouts.stac_item(f"{landsat_product_id(date)}_SR", date, "LANDSAT_8", assets, base))
    modis_items = []
    for i, date in enumerate(modis_dates):
        b01 = modis_export(downloads / "appeears", date, seed=10 + i)
        modis_items.append(layouts.stac_item(f"MOD09GA.061_{date}", date, "terra",
                                             layouts.modis_export_assets(b01, MODIS.band_names), base))
    return (layouts.write_item_collection(stac / "landsat.json", landsat_items),
            layouts.write_item_collection(stac / "modis.json", modis_items))



CATALOGUE_ITEMS = Path(__file__).parent / "data" / "products" / "stac"  # real items: see PROVENANCE.md there


def local_catalogue_item(folder: Path, name: str) -> tuple[Path, dict]:
    """A real catalogue item (``CATALOGUE_ITEMS/<name>.json``) copied to ``folder`` with each image asset's href
    rewritten to a small GeoTIFF of its own under ``folder/assets`` (relative href), as after downloading."""
    item = json.loads((CATALOGUE_ITEMS / f"{name}.json").read_text())
    for key, asset in item["assets"].items():
        if re.match(r"image/(?!jpeg|png)", asset.get("type", "")) is None:
            continue
        raster = folder / "assets" / f"{key}.tif"
        raster.parent.mkdir(parents=True, exist_ok=True)
        profile = {"driver": "GTiff", "width": 4, "height": 4, "count": 1, "dtype": "uint16", "crs": UTM,
                   "transform": Affine(30, 0, BOUNDS[0], 0, -30, BOUNDS[3])}
        with rasterio.open(raster, "w", **profile) as dst:
            dst.write(np.full((1, 4, 4), len(key), dtype="uint16"))
        asset["href"] = f"assets/{key}.tif"
    path = folder / f"{name}.json"
    path.write_text(json.dumps(item))
    return path, item
