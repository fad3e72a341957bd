"""Fake products laid out as the real ones are: Landsat C2 L2, Sentinel-2 L2A SAFE, MODIS exports, STAC items.

For the tests and the demo: the arrays are given (digital numbers as the product stores them); the file
names, folders, metadata keys, data types and fill values follow the sources cited in
:mod:`stfusion.products` (USGS LSDS-1619; ESA S2 PSD; AppEEARS output names; STAC eo/raster/projection
extensions as in the USGS and Earth Search catalogues).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import rasterio
from affine import Affine
from rasterio.warp import transform_bounds

from ..io import write_text
from ..products.sentinel2 import BAND_IDS

S2_RESOLUTIONS = {"B01": (20, 60), "B02": (10, 20, 60), "B03": (10, 20, 60), "B04": (10, 20, 60), "B05": (20, 60),
                  "B06": (20, 60), "B07": (20, 60), "B08": (10,), "B8A": (20, 60), "B11": (20, 60), "B12": (20, 60),
                  "SCL": (20, 60)}  # R10m / R20m / R60m folders of an L2A product (PSD 14.9)
STAC_EXTENSIONS = ["https://stac-extensions.github.io/eo/v1.1.0/schema.json",
                   "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
                   "https://stac-extensions.github.io/projection/v1.1.0/schema.json"]
GEOTIFF = "image/tiff; application=geotiff; profile=cloud-optimized"
LANDSAT_COMMON_NAMES = {"nir": "nir08", "swir1": "swir16", "swir2": "swir22"}  # STAC eo common names of the other labels: the same


def write_band(path: Path, data: np.ndarray, crs: str, transform: Affine, nodata: float | None = None) -> Path:
    """One single-band file (GeoTIFF, or lossless JPEG 2000 for ``.jp2``), written atomically: in a temporary folder
    under its own name (JPEG 2000 embeds its georeferencing only under a ``.jp2`` name), then moved."""
    driver = "JP2OpenJPEG" if path.suffix == ".jp2" else "GTiff"
    options = {"QUALITY": 100, "REVERSIBLE": "YES"} if driver == "JP2OpenJPEG" else {"compress": "deflate", "tiled": True}
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as folder:
        tmp = Path(folder) / path.name
        with rasterio.open(tmp, "w", driver=driver, width=data.shape[1], height=data.shape[0], count=1,
                           dtype=data.dtype.name, crs=crs, transform=transform, nodata=nodata, **options) as dst:
            dst.write(data[None])
        os.replace(tmp, path)
    return path


def landsat_c2_files(folder: Path, product_id: str, band_names: Sequence[str], mtl: str = "json") -> list[Path]:
    """The files of a C2 L2 product: the MTL, ``<id>_SR_B<n>.TIF`` per band, ``<id>_QA_PIXEL.TIF``."""
    return [folder / f"{product_id}_MTL.{mtl}", *(folder / f"{product_id}_SR_{name}.TIF" for name in band_names),
            folder / f"{product_id}_QA_PIXEL.TIF"]


def write_landsat_c2(folder: Path, product_id: str, dn: np.ndarray, qa: np.ndarray, crs: str, transform: Affine,
                     band_names: Sequence[str], scale: float = 2.75e-5, offset: float = -0.2, mtl: str = "json") -> Path:
    """A C2 L2 product: ``<id>_SR_B<n>.TIF`` (uint16, fill 0), ``<id>_QA_PIXEL.TIF`` and ``<id>_MTL.<json|xml>``."""
    path, *band_files, qa_file = landsat_c2_files(folder, product_id, band_names, mtl)
    contents = {"LANDSAT_PRODUCT_ID": product_id, "PROCESSING_LEVEL": "L2SP", "COLLECTION_NUMBER": "02",
                "COLLECTION_CATEGORY": "T1", "OUTPUT_FORMAT": "GEOTIFF"}
    parameters = {}
    for name, band, file in zip(band_names, dn, band_files):
        n = name.removeprefix("B")
        contents[f"FILE_NAME_BAND_{n}"] = write_band(file, band.astype("uint16"), crs, transform, 0).name
        parameters.update({f"REFLECTANCE_MAXIMUM_BAND_{n}": f"{65535 * scale + offset:.6f}",
                           f"REFLECTANCE_MINIMUM_BAND_{n}": f"{scale + offset:.6f}",
                           f"QUANTIZE_CAL_MAX_BAND_{n}": "65535", f"QUANTIZE_CAL_MIN_BAND_{n}": "1",
                           f"REFLECTANCE_MULT_BAND_{n}": f"{scale:.4E}", f"REFLECTANCE_ADD_BAND_{n}": f"{offset:.6f}"})
    contents["FILE_NAME_QUALITY_L1_PIXEL"] = write_band(qa_file, qa.astype("uint16"), crs, transform, 1).name
    contents[f"FILE_NAME_METADATA_{mtl.upper()}"] = path.name
    acquired = dt.datetime.strptime(product_id.split("_")[3], "%Y%m%d").date()
    groups = {"PRODUCT_CONTENTS": contents,
              "IMAGE_ATTRIBUTES": {"SPACECRAFT_ID": f"LANDSAT_{int(product_id[2:4])}",
                                   "SENSOR_ID": {"LC": "OLI_TIRS", "LE": "ETM", "LT": "TM"}[product_id[:2]],
                                   "DATE_ACQUIRED": acquired.isoformat()},
              "LEVEL2_SURFACE_REFLECTANCE_PARAMETERS": parameters}
    if mtl == "json":
        write_text(path, json.dumps({"LANDSAT_METADATA_FILE": groups}, indent=2))
    else:
        body = "".join(f"  <{g}>\n" + "".join(f"    <{k}>{v}</{k}>\n" for k, v in items.items()) + f"  </{g}>\n"
                       for g, items in groups.items())
        write_text(path, f'<?xml version="1.0" encoding="UTF-8"?>\n<LANDSAT_METADATA_FILE>\n{body}</LANDSAT_METADATA_FILE>\n')
    return path


def _block_mean(data: np.ndarray, factor: int) -> np.ndarray:
    h, w = data.shape[0] // factor, data.shape[1] // factor
    return data[: h * factor, : w * factor].reshape(h, factor, w, factor).mean(axis=(1, 3))


def write_sentinel2_l2a(folder: Path, dn10: Mapping[str, np.ndarray], scl20: np.ndarray, crs: str, x_min: float,
                        y_max: float, sensing: str = "20220105T101411", tile: str = "T32TQM", baseline: str = "04.00",
                        add_offset: float | None = -1000, extension: str = ".jp2") -> Path:
    """An L2A ``.SAFE``: ``MTD_MSIL2A.xml`` and ``GRANULE/<g>/IMG_DATA/R<res>m/<tile>_<time>_<band>_<res>m.jp2``.

    ``dn10`` holds uint16 digital numbers on the 10 m grid of each band code (B02, B8A, ...); each band is
    written at every resolution the real product has it, averaged from 10 m. ``add_offset`` None writes the
    metadata of a baseline before 04.00 (no BOA_ADD_OFFSET list)."""
    name = f"S2A_MSIL2A_{sensing}_N{baseline.replace('.', '')}_R022_{tile}_{sensing[:8]}T120000"
    safe = folder / f"{name}.SAFE"
    granule = safe / "GRANULE" / f"L2A_{tile}_A034264_{sensing}" / "IMG_DATA"
    images = []
    layers = {**dn10, "SCL": np.repeat(np.repeat(scl20, 2, axis=0), 2, axis=1)}
    for code, data in layers.items():
        for res in S2_RESOLUTIONS[code]:
            factor = res // 10
            plane = data[::factor, ::factor] if code == "SCL" else np.round(_block_mean(data.astype(float), factor))
            file = granule / f"R{res}m" / f"{tile}_{sensing}_{code}_{res}m{extension}"
            write_band(file, plane.astype("uint8" if code == "SCL" else "uint16"), crs, Affine(res, 0, x_min, 0, -res, y_max))
            images.append(f"<IMAGE_FILE>{file.relative_to(safe).with_suffix('')}</IMAGE_FILE>")
    offsets = "" if add_offset is None else (
        "<BOA_ADD_OFFSET_VALUES_LIST>" + "".join(f'<BOA_ADD_OFFSET band_id="{i}">{add_offset:g}</BOA_ADD_OFFSET>'
                                                  for i in range(len(BAND_IDS))) + "</BOA_ADD_OFFSET_VALUES_LIST>")
    write_text(safe / "MTD_MSIL2A.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd">
<n1:General_Info><Product_Info><PRODUCT_TYPE>S2MSI2A</PRODUCT_TYPE><PROCESSING_LEVEL>Level-2A</PROCESSING_LEVEL>
<PROCESSING_BASELINE>{baseline}</PROCESSING_BASELINE>
<Product_Organisation><Granule_List><Granule>{''.join(images)}</Granule></Granule_List></Product_Organisation></Product_Info>
<Product_Image_Characteristics>
<Special_Values><SPECIAL_VALUE_TEXT>NODATA</SPECIAL_VALUE_TEXT><SPECIAL_VALUE_INDEX>0</SPECIAL_VALUE_INDEX></Special_Values>
<Special_Values><SPECIAL_VALUE_TEXT>SATURATED</SPECIAL_VALUE_TEXT><SPECIAL_VALUE_INDEX>65535</SPECIAL_VALUE_INDEX></Special_Values>
<QUANTIFICATION_VALUES_LIST><BOA_QUANTIFICATION_VALUE unit="none">10000</BOA_QUANTIFICATION_VALUE></QUANTIFICATION_VALUES_LIST>
{offsets}
</Product_Image_Characteristics></n1:General_Info>
</n1:Level-2A_User_Product>
""")
    return safe


def modis_export_files(folder: Path, product: str, date: str, band_names: Sequence[str]) -> list[Path]:
    """AppEEARS layer files of one date: ``<product>_sur_refl_b0<n>_1_doy<YYYYDDD>_aid0001.tif`` per band, then state."""
    when = f"doy{dt.date.fromisoformat(date).strftime('%Y%j')}_aid0001"
    layers = [f"sur_refl_b{int(name.removeprefix('B')):02d}_1" for name in band_names] + ["state_1km_1"]
    return [folder / f"{product}_{layer}_{when}.tif" for layer in layers]


def write_modis_export(folder: Path, product: str, date: str, dn: np.ndarray, state: np.ndarray, crs: str,
                       transform: Affine, state_transform: Affine, band_names: Sequence[str]) -> Path:
    """AppEEARS GeoTIFF layers of one MOD09GA date: reflectance (int16, fill -28672) and ``state_1km`` (uint16, on
    ``state_transform``: 1 km in the real export); returns the b01 file."""
    *band_files, state_file = modis_export_files(folder, product, date, band_names)
    for band, file in zip(dn, band_files):
        write_band(file, band.astype("int16"), crs, transform, -28672)
    write_band(state_file, state.astype("uint16"), crs, state_transform)
    return band_files[0]


def stac_item(item_id: str, date: str, platform: str, assets: Mapping[str, dict], item_dir: Path | None) -> dict:
    """A STAC 1.0 Item whose assets (``{key: {"href": local file, ...fields}}``) get hrefs relative to ``item_dir``
    (``../downloads/...``, as in a static catalogue; absolute if None) and their projection fields (``proj:epsg``,
    ``proj:shape``, ``proj:transform``) read from the files."""
    out, bounds = {}, None
    for key, asset in assets.items():
        with rasterio.open(asset["href"]) as src:
            proj = {"proj:epsg": src.crs.to_epsg(), "proj:shape": [src.height, src.width],
                    "proj:transform": list(src.transform)[:6]}
            bounds = bounds or transform_bounds(src.crs, "EPSG:4326", *src.bounds, densify_pts=21)
        href = os.path.abspath(asset["href"])
        out[key] = {"type": GEOTIFF, "roles": ["data"], **asset, **proj,
                    "href": href if item_dir is None else os.path.relpath(href, item_dir)}
    west, south, east, north = bounds
    return {"type": "Feature", "stac_version": "1.0.0", "stac_extensions": STAC_EXTENSIONS, "id": item_id,
            "bbox": [west, south, east, north],
            "geometry": {"type": "Polygon", "coordinates": [[[west, south], [east, south], [east, north], [west, north], [west, south]]]},
            "properties": {"datetime": f"{date}T10:30:00Z", "platform": platform}, "links": [], "assets": out}


def landsat_c2_assets(mtl: Path, band_names: Sequence[str], labels: Sequence[str]) -> dict[str, dict]:
    """STAC assets of a C2 L2 product as the USGS catalogue lists them: keys = eo common names (``red``, ``nir08``,
    ``swir16``), eo:bands names ``SR_B<n>``, raster:bands scale and offset from the MTL."""
    contents = json.loads(mtl.read_text())["LANDSAT_METADATA_FILE"]
    files, parameters = contents["PRODUCT_CONTENTS"], contents["LEVEL2_SURFACE_REFLECTANCE_PARAMETERS"]
    assets = {}
    for name, label in zip(band_names, labels):
        n = name.removeprefix("B")
        raster = {"data_type": "uint16", "nodata": 0, "scale": float(parameters[f"REFLECTANCE_MULT_BAND_{n}"]),
                  "offset": float(parameters[f"REFLECTANCE_ADD_BAND_{n}"])}
        common = LANDSAT_COMMON_NAMES.get(label, label)
        assets[common] = {"href": str(mtl.parent / files[f"FILE_NAME_BAND_{n}"]),
                          "eo:bands": [{"name": f"SR_B{n}", "common_name": common}], "raster:bands": [raster]}
    assets["qa_pixel"] = {"href": str(mtl.parent / files["FILE_NAME_QUALITY_L1_PIXEL"]), "roles": ["cloud"]}
    return assets


def modis_export_assets(b01: Path, band_names: Sequence[str]) -> dict[str, dict]:
    """STAC assets of an AppEEARS MOD09GA export: ``sur_refl_b0<n>`` (eo:bands of the same name) and ``state_1km``."""
    assets = {}
    for name in band_names:
        layer = f"sur_refl_b{int(name.removeprefix('B')):02d}"
        assets[layer] = {"href": str(b01.parent / b01.name.replace("sur_refl_b01", layer)), "eo:bands": [{"name": layer}],
                         "raster:bands": [{"data_type": "int16", "nodata": -28672, "scale": 1e-4, "offset": 0.0}]}
    assets["state_1km"] = {"href": str(b01.parent / b01.name.replace("sur_refl_b01_1", "state_1km_1")), "roles": ["cloud"]}
    return assets


def write_item_collection(path: Path, items: Sequence[dict]) -> Path:
    """A STAC ItemCollection (a GeoJSON FeatureCollection of items)."""
    write_text(path, json.dumps({"type": "FeatureCollection", "features": list(items)}, indent=1))
    return path
