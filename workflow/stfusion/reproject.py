"""Reprojection onto the site grid and scale harmonisation.

Each raw scene (a raster, or a product's band files stacked by a VRT) is read through a GDAL warped
VRT onto its sensor's grid of the site, so only the part of the file that covers the site is read. Downsampling averages; upsampling interpolates
(bilinear by default). Digital numbers become float32 reflectance ``DN * scale + offset`` with NaN
for nodata, once, here. QA rasters are warped by nearest neighbour so their bit flags survive, and
masked where the QA file has no value.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.warp import calculate_default_transform

from .grid import SiteGrid
from .ingest import open_raster, open_scene
from .products import Product
from .sensors import Sensor, Storage


def _resampling(src, grid: SiteGrid, ratio: int, upsampling: str) -> Resampling:
    """Average when the source pixels are finer than the target ones, else ``upsampling``."""
    transform, _, _ = calculate_default_transform(src.crs, grid.crs, src.width, src.height, *src.bounds)
    source_size = abs(transform.a)
    return Resampling.average if source_size <= grid.pixel_size * ratio * 1.01 else Resampling[upsampling]


def warp_reflectance(
    product: Product, sensor: Sensor, storage: Storage, grid: SiteGrid, ratio: int, upsampling: str = "bilinear"
) -> np.ndarray:
    """Raw scene -> float32 reflectance (bands, rows, cols) on the site grid coarsened by ``ratio``."""
    rows, cols = grid.shape(ratio)
    with open_scene(product, sensor) as src:
        nodata = src.nodata if src.nodata is not None else storage.nodata
        with WarpedVRT(
            src,
            crs=grid.crs,
            transform=grid.transform(ratio),
            width=cols,
            height=rows,
            resampling=_resampling(src, grid, ratio, upsampling),
            src_nodata=nodata,
            nodata=nodata,
            dtype="float64",
        ) as vrt:
            data = vrt.read(masked=True)
    reflectance = (data.astype("float64") * storage.scale + storage.offset).astype("float32")
    return reflectance.filled(np.nan)


def warp_qa(path: str | Path, grid: SiteGrid, ratio: int) -> np.ma.MaskedArray:
    """QA raster (first band) on the site grid by nearest neighbour, masked outside the file's footprint.

    The footprint comes from an alpha band of the warp with the file's nodata value ignored: a QA value equal
    to that value (0, clear, in a mask file tagged nodata 0) is decoded as it is, not taken for no value.
    """
    rows, cols = grid.shape(ratio)
    with open_raster(path, what="QA") as src:
        with WarpedVRT(
            src,
            crs=grid.crs,
            transform=grid.transform(ratio),
            width=cols,
            height=rows,
            resampling=Resampling.nearest,
            src_nodata=None,
            add_alpha=True,
        ) as vrt:
            qa, alpha = vrt.read(1), vrt.read(vrt.count)
    return np.ma.MaskedArray(qa, mask=alpha == 0)
