"""Write the demo: raw products as distributed (integer reflectance, QA, native CRS) and the truth.

For each site and date a hyperspectral reflectance cube is rendered on the site's fine grid plus a
margin; each sensor is simulated from it through its SRFs (``simulate.simulate_spectral``), gets
clouds, shadows, noise and missing stripes, and is resampled onto its own native grid, so that the
pipeline's reprojection, scaling and QA decoding all have real work to do.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.enums import Resampling
from rasterio.warp import reproject, transform_bounds

from ..io import atomic_path, write_cog
from ..sensors import Sensor, load_sensor
from ..simulate import degrade, simulate_spectral
from .atmosphere import cloud_and_shadow, nodata_stripes
from .landscape import make_landscape, reflectance_cube
from . import layouts
from .scenario import MODIS_PRODUCT, SITES, Acquisition, DemoSite, landsat_product_id, raw_files, raw_path, truth_path

SCALE = 1e-4
PRODUCT_SHIFT = 2000  # DN added to the demo's Landsat numbers in the products layout (C2's offset -0.2 / 1e-4)
CLOUD_TOP_REFLECTANCE = 0.6
SHADOW_TRANSMISSION = 0.35
NOISE_SIGMA = 0.003
NOISY_HS_SIGMA = 0.015  # AHSI bands in the water-vapour absorptions and at the SWIR end
NOISY_RANGES_NM = ((1330.0, 1480.0), (1780.0, 1990.0), (2400.0, 2600.0))


@dataclass(frozen=True)
class FineGrid:
    """The rendered area: the site's fine grid grown by the margin."""

    crs: str
    transform: Affine
    size: int


def write_demo(out_dir: str | Path, layout: str = "stacked") -> None:
    """Generate every demo site's raw products (in the layout, see ``scenario.raw_files``) and truth under ``out_dir``."""
    for site in SITES:
        write_site(site, Path(out_dir), layout)


def write_site(site: DemoSite, out_dir: Path, layout: str = "stacked") -> None:
    extended = FineGrid(
        crs=f"EPSG:{site.epsg}",
        transform=Affine(site.pixel_size, 0, site.x_min - site.margin * site.pixel_size,
                         0, -site.pixel_size, site.y_max + site.margin * site.pixel_size),
        size=site.size + 2 * site.margin,
    )
    landscape = make_landscape((extended.size, extended.size), site.pixel_size, site.seed)
    wavelengths = np.arange(400.0, 2500.0 + 1e-6, site.wavelength_step_nm)
    sensors = {name: load_sensor(name) for name in site.ratios}
    acquisitions = {(a.sensor, a.date): a for a in site.acquisitions}
    rng = np.random.default_rng(site.seed)
    inner = slice(site.margin, site.margin + site.size)
    site_transform = Affine(site.pixel_size, 0, site.x_min, 0, -site.pixel_size, site.y_max)
    for date in site.dates:
        cube = reflectance_cube(landscape, dt.date.fromisoformat(date).timetuple().tm_yday, wavelengths)
        for name, sensor in sensors.items():
            image = simulate_spectral(cube, wavelengths, sensor).astype("float32")
            truth = image[:, inner, inner]
            ratio = site.ratios[name]
            tags = {"site": site.name, "sensor": name, "date": date, "stage": "truth"}
            write_cog(truth_path(out_dir, site.name, name, date), degrade(truth, ratio, "area"),
                      extended.crs, site_transform @ Affine.scale(ratio), sensor.band_names, tags)
            if name in site.hyperspectral:
                write_cog(truth_path(out_dir, site.name, name, date, fine=True), truth,
                          extended.crs, site_transform, sensor.band_names, tags)
            if (name, date) in acquisitions:
                write_raw(site, acquisitions[name, date], sensor, image, extended, out_dir, rng, layout)


def _noise_sigma(sensor: Sensor) -> np.ndarray:
    centres = np.array([b.centre_nm for b in sensor.bands])
    noisy = np.zeros(centres.shape, bool)
    if sensor.kind == "hyperspectral":
        for lo, hi in NOISY_RANGES_NM:
            noisy |= (centres >= lo) & (centres <= hi)
    return np.where(noisy, NOISY_HS_SIGMA, NOISE_SIGMA)[:, None, None]


def observe(site: DemoSite, acq: Acquisition, sensor: Sensor, image: np.ndarray, rng: np.random.Generator):
    """Top-of-canopy reflectance with clouds, shadows and noise; and the cloud and shadow masks."""
    cloud, shadow, thickness = cloud_and_shadow(
        image.shape[1:], site.pixel_size, acq.cloud, sun_azimuth_deg=150.0, sun_elevation_deg=50.0,
        cloud_height_m=1500.0, seed=site.seed + int(acq.date.replace("-", "")),
    )
    opacity = np.where(cloud, thickness, 0.0).astype("float32")
    observed = image * (1 - opacity) + opacity * CLOUD_TOP_REFLECTANCE
    observed = np.where(shadow & ~cloud, observed * SHADOW_TRANSMISSION, observed)
    observed = observed + rng.normal(size=observed.shape).astype("float32") * _noise_sigma(sensor)
    return observed.astype("float32"), cloud, shadow & ~cloud


def native_grid(extended: FineGrid, crs: str, pixel: float) -> tuple[Affine, int, int]:
    """A grid in the product's own CRS that covers the rendered area, pixel edges on multiples of ``pixel``."""
    s = extended.size * extended.transform.a
    left, top = extended.transform.c, extended.transform.f
    left, bottom, right, top = transform_bounds(extended.crs, crs, left, top - s, left + s, top, densify_pts=21)
    x0, y1 = np.floor(left / pixel) * pixel, np.ceil(top / pixel) * pixel
    width, height = int(np.ceil((right - x0) / pixel)), int(np.ceil((y1 - bottom) / pixel))
    return Affine(pixel, 0, x0, 0, -pixel, y1), width, height


def _warp(data: np.ndarray, extended: FineGrid, crs: str, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    out = np.full((data.shape[0], *shape), np.nan, dtype="float32")
    reproject(data.astype("float32"), out, src_transform=extended.transform, src_crs=extended.crs,
              dst_transform=transform, dst_crs=crs, resampling=Resampling.average, src_nodata=np.nan, dst_nodata=np.nan)
    return out


def encode_qa(kind: str, missing: np.ndarray, cloud_fraction: np.ndarray, shadow_fraction: np.ndarray) -> np.ndarray:
    """QA raster in the sensor's encoding (see ``stfusion.qa``) from per-pixel cloud/shadow fractions."""
    cloudy, shadowed = cloud_fraction > 0.5, (shadow_fraction > 0.5) & ~(cloud_fraction > 0.5)
    if kind == "landsat_qa_pixel":
        qa = np.where(cloudy, (1 << 3) | (1 << 1), 0) | np.where(shadowed, 1 << 4, 0)
        qa = np.where(qa == 0, 1 << 6, qa)  # clear
        return np.where(missing, 1, qa).astype("uint16")
    if kind == "modis_state":
        mixed = (cloud_fraction > 0.1) & ~cloudy
        return (np.where(cloudy, 1, 0) | np.where(mixed, 2, 0) | np.where(shadowed, 1 << 2, 0)).astype("uint16")
    return (np.where(cloudy, 1, 0) + np.where(shadowed, 2, 0)).astype("uint8")


def write_raw(site: DemoSite, acq: Acquisition, sensor: Sensor, image: np.ndarray, extended: FineGrid,
              out_dir: Path, rng: np.random.Generator, layout: str = "stacked") -> None:
    """One raw product: int16 reflectance x 10^4 on the native grid, with its QA file (or, in the ``products``
    layout, the same numbers as a Landsat C2 L2 product or MODIS AppEEARS layers)."""
    observed, cloud, shadow = observe(site, acq, sensor, image, rng)
    crs, pixel = site.native[sensor.name]
    transform, width, height = native_grid(extended, crs, pixel)
    reflectance = _warp(observed, extended, crs, transform, (height, width))
    fractions = _warp(np.stack([cloud, shadow]).astype("float32"), extended, crs, transform, (height, width))
    missing = np.isnan(reflectance).any(axis=0) | nodata_stripes((height, width), acq.stripes, 2, site.seed + len(acq.date))
    nodata = sensor.storage.nodata if sensor.storage.dtype == "int16" else -9999
    dn = np.clip(np.round(np.nan_to_num(reflectance) / SCALE), -32767, 32767).astype("int16")
    dn[:, missing] = nodata
    qa = encode_qa(sensor.qa_kind, missing, np.nan_to_num(fractions[0]), np.nan_to_num(fractions[1]))
    path, _, _ = raw_files(out_dir, site.name, sensor.name, acq.date, layout)
    if layout == "products" and sensor.name == "landsat8_oli":
        # the same x 10^4 numbers, shifted into uint16 with fill 0: the MTL states scale 1e-4 and offset -0.2
        shifted = np.clip(dn.astype("int32") + PRODUCT_SHIFT, 1, 65535)
        layouts.write_landsat_c2(Path(path).parent, landsat_product_id(acq.date), np.where(missing, 0, shifted), qa, crs,
                                 transform, sensor.band_names, scale=SCALE, offset=-PRODUCT_SHIFT * SCALE)
        return
    if layout == "products" and sensor.name == "modis":
        layouts.write_modis_export(Path(path).parent, MODIS_PRODUCT, acq.date, dn, qa, crs, transform, transform,
                                   sensor.band_names)
        return
    profile = dict(driver="GTiff", width=width, height=height, crs=crs, transform=transform, compress="deflate", tiled=True)
    for path, data, extra in (
        (raw_path(out_dir, site.name, sensor.name, acq.date), dn, {"nodata": nodata}),
        (raw_path(out_dir, site.name, sensor.name, acq.date, qa=True), qa[None], {}),
    ):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, rasterio.open(tmp, "w", count=data.shape[0], dtype=data.dtype.name, **profile, **extra) as dst:
            dst.write(data)
            dst.update_tags(sensor=sensor.name, date=acq.date, source="stfusion demo (simulated)")
