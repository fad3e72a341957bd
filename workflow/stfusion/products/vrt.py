"""Per-band files stacked as one GDAL VRT (XML text), in the sensor's band order, at the finest band's pixel.

Nothing is copied: GDAL reads the band files through the VRT (GDAL VRT format, "VRT -- GDAL Virtual
Format", https://gdal.org/drivers/raster/vrt.html; what ``gdalbuildvrt -separate`` writes). A coarser
band (Sentinel-2's 20 m bands beside its 10 m ones) is repeated pixel by pixel (nearest neighbour) onto
the finest grid, so the reprojection's average over a coarser target cell weights each source pixel by
its area, and finer targets see the band's own pixels.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Sequence

import rasterio
from rasterio.dtypes import dtype_rev, typename_fwd
from rasterio.errors import RasterioIOError

from ..errors import InputDataError


def _header(name: str, product: str):
    """Size, transform, CRS, dtype and nodata of one band file, opened for its header only."""
    try:
        with rasterio.open(name) as src:
            return src.width, src.height, src.transform, src.crs, src.dtypes[0], src.nodata
    except RasterioIOError as err:
        raise InputDataError(
            f"band file {name} of {product} is not a readable raster ({err}): download the product again"
        ) from err


def stack_vrt(bands: Sequence[str], names: Sequence[str], product: str) -> str:
    """VRT XML stacking single-band files ``bands`` (band descriptions ``names``) of ``product``."""
    headers = [_header(b, product) for b in bands]
    finest = min(range(len(bands)), key=lambda i: abs(headers[i][2].a))
    width, height, transform, crs, dtype, _ = headers[finest]
    bounds = (transform.c, transform.f, transform.c + width * transform.a, transform.f + height * transform.e)
    for band, (w, h, t, c, d, _) in zip(bands, headers):
        other = (t.c, t.f, t.c + w * t.a, t.f + h * t.e)
        if c != crs or d != dtype or any(not math.isclose(a, b, abs_tol=abs(transform.a) / 2) for a, b in zip(bounds, other)):
            raise InputDataError(
                f"band file {band} of {product} ({c}, {d}, bounds {other}) does not cover the same area in the "
                f"same CRS and data type as {bands[finest]} ({crs}, {dtype}, bounds {bounds}): every band of a "
                "scene must come from the same product"
            )
    root = ET.Element("VRTDataset", rasterXSize=str(width), rasterYSize=str(height))
    ET.SubElement(root, "SRS").text = crs.to_wkt()
    ET.SubElement(root, "GeoTransform").text = ", ".join(repr(v) for v in transform.to_gdal())
    for i, (band, name, (w, h, *_, nodata)) in enumerate(zip(bands, names, headers), start=1):
        element = ET.SubElement(root, "VRTRasterBand", dataType=typename_fwd[dtype_rev[dtype]], band=str(i))
        ET.SubElement(element, "Description").text = name
        if nodata is not None:
            ET.SubElement(element, "NoDataValue").text = repr(nodata)
        source = ET.SubElement(element, "SimpleSource")
        ET.SubElement(source, "SourceFilename", relativeToVRT="0").text = band
        ET.SubElement(source, "SourceBand").text = "1"
        ET.SubElement(source, "SrcRect", xOff="0", yOff="0", xSize=str(w), ySize=str(h))
        ET.SubElement(source, "DstRect", xOff="0", yOff="0", xSize=str(width), ySize=str(height))
    return ET.tostring(root, encoding="unicode")
