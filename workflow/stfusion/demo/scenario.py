"""What the built-in demo observes: two sites, their dates, and how each raw product is stored.

``demo`` is a spatiotemporal-fusion site (the setting of Tan, Di, Zhang, Guo and Gao (2019), "An Enhanced Deep
Convolutional Model for Spatiotemporal Image Fusion", Remote Sensing 11(24), 2898): Landsat 8 OLI at 30 m on a few
dates, two of them cloudy, and MODIS bands 1-7 at ratio 16 on every date, two of them with
missing scan lines. ``demo_sts`` is the 3:2:1 layout of Peng, Li, Zhou and Li, "A Long-time-series
Spatio-Temporal-Spectral Fusion Method via Multi-task Learning": ZY1-02D VNIC at 10 m (fine),
GF-6 WFV at 20 m (high-temporal multispectral) and ZY1-02D AHSI at 30 m (hyperspectral).
Raw products are stored as distributed: integer reflectance x 10^4 with a QA file, in their own
CRS and pixel grid (MODIS sinusoidal; VNIC geographic; GF-6 at its native 16 m); in the ``products``
layout Landsat 8 and MODIS are laid out as their real products (:func:`raw_files`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..sensors import load_sensor
from . import layouts

MODIS_PRODUCT = "MOD09GA.061"
MODIS_SINUSOIDAL = "+proj=sinu +lon_0=0 +x_0=0 +y_0=0 +R=6371007.181 +units=m +no_defs"
MODIS_PIXEL_M = 463.312716528


@dataclass(frozen=True)
class Acquisition:
    """One raw scene: its sensor and date, and the cloud cover and stripe count it suffers."""

    sensor: str
    date: str
    cloud: float = 0.0
    stripes: int = 0


@dataclass(frozen=True)
class DemoSite:
    """A demo site: its fine grid (UTM), sensors with ratios and native storage, and acquisitions."""

    name: str
    epsg: int
    x_min: float
    y_max: float
    pixel_size: float
    size: int
    ratios: dict[str, int]
    native: dict[str, tuple[str, float]]  # sensor -> (CRS, pixel size in CRS units)
    acquisitions: tuple[Acquisition, ...]
    seed: int
    wavelength_step_nm: float
    margin: int = 32  # fine pixels rendered around the site, so raw scenes overhang it
    hyperspectral: tuple[str, ...] = field(default=())

    @property
    def dates(self) -> list[str]:
        return sorted({a.date for a in self.acquisitions})


def _series(sensor: str, dates: list[str], cloud: dict[str, float] | None = None, stripes: dict[str, int] | None = None):
    cloud, stripes = cloud or {}, stripes or {}
    return tuple(Acquisition(sensor, d, cloud.get(d, 0.0), stripes.get(d, 0)) for d in dates)


ST_DATES = [str(dt.date(2021, 3, 20) + dt.timedelta(days=14 * i)) for i in range(14)]  # MODIS every 14 days
STS_DATES = ["2021-04-15", "2021-05-01", "2021-05-17", "2021-06-02", "2021-06-18", "2021-07-04", "2021-07-20"]

SITES = (
    DemoSite(
        name="demo",
        epsg=32650,
        x_min=544320.0,
        y_max=4047360.0,
        pixel_size=30.0,
        size=256,
        ratios={"landsat8_oli": 1, "modis": 16},
        native={"landsat8_oli": ("EPSG:32650", 30.0), "modis": (MODIS_SINUSOIDAL, MODIS_PIXEL_M)},
        acquisitions=_series(
            "landsat8_oli",
            ["2021-03-20", "2021-05-01", "2021-05-29", "2021-07-10", "2021-08-21", "2021-09-18"],
            cloud={"2021-05-01": 0.25, "2021-07-10": 0.015},
        )
        + _series("modis", ST_DATES, cloud={"2021-07-24": 0.4}, stripes={"2021-06-12": 2, "2021-09-04": 1}),
        seed=11,
        wavelength_step_nm=10.0,
    ),
    DemoSite(
        name="demo_sts",
        epsg=32650,
        x_min=545280.0,
        y_max=4046400.0,
        pixel_size=10.0,
        size=192,
        ratios={"zy1_02d_vnic": 1, "gf6_wfv": 2, "zy1_02d_ahsi": 3},
        native={"zy1_02d_vnic": ("EPSG:4326", 1e-4), "gf6_wfv": ("EPSG:32650", 16.0), "zy1_02d_ahsi": ("EPSG:32650", 30.0)},
        acquisitions=_series("zy1_02d_vnic", ["2021-04-15", "2021-05-17", "2021-06-18", "2021-07-20"], cloud={"2021-06-18": 0.02})
        + _series("gf6_wfv", STS_DATES)
        + _series("zy1_02d_ahsi", ["2021-04-15", "2021-05-17", "2021-06-18", "2021-07-20"]),
        seed=23,
        wavelength_step_nm=5.0,
        margin=12,
        hyperspectral=("zy1_02d_ahsi",),
    ),
)


def raw_path(out_dir: str | Path, site: str, sensor: str, date: str, qa: bool = False) -> str:
    return f"{out_dir}/raw/{site}/{sensor}/{date}{'_qa' if qa else ''}.tif"


def truth_path(out_dir: str | Path, site: str, sensor: str, date: str, fine: bool = False) -> str:
    """Noise-free, cloud-free truth on the site grid at the sensor's ratio (or at the fine pixel size)."""
    return f"{out_dir}/truth/{site}/{sensor}{'_fine' if fine else ''}/{date}.tif"


def landsat_product_id(date: str) -> str:
    """The demo's Landsat 8 C2 L2 product ID of a date (WRS-2 path/row 123/034 covers the demo site)."""
    day = date.replace("-", "")
    return f"LC08_L2SP_123034_{day}_{day}_02_T1"


def raw_files(out_dir: str | Path, site: str, sensor: str, date: str, layout: str = "stacked") -> tuple[str, str, list[str]]:
    """(scene-table path, qa, every file written) of one raw scene. ``layout: products`` stores Landsat 8 as
    Collection 2 Level-2 products and MODIS as AppEEARS per-band exports; other sensors are always stacked."""
    folder = Path(f"{out_dir}/raw/{site}/{sensor}")
    if layout == "products" and sensor == "landsat8_oli":
        files = [str(f) for f in layouts.landsat_c2_files(folder / landsat_product_id(date), landsat_product_id(date),
                                                           load_sensor(sensor).band_names)]
        return files[0], "", files
    if layout == "products" and sensor == "modis":
        files = [str(f) for f in layouts.modis_export_files(folder, MODIS_PRODUCT, date, load_sensor(sensor).band_names)]
        return files[0], "", files
    path, qa = raw_path(out_dir, site, sensor, date), raw_path(out_dir, site, sensor, date, qa=True)
    return path, qa, [path, qa]


def scene_rows(out_dir: str | Path, layout: str = "stacked") -> list[dict[str, str]]:
    """The demo's scene table, in the column order of config/scenes.tsv."""
    rows = []
    for s in SITES:
        for a in s.acquisitions:
            path, qa, _ = raw_files(out_dir, s.name, a.sensor, a.date, layout)
            rows.append({"site": s.name, "sensor": a.sensor, "date": a.date, "path": path, "qa": qa})
    return rows


def all_raw_files(out_dir: str | Path, layout: str = "stacked") -> list[str]:
    """Every raw file the demo writes in the layout."""
    return [f for s in SITES for a in s.acquisitions for f in raw_files(out_dir, s.name, a.sensor, a.date, layout)[2]]


def truth_files(out_dir: str | Path) -> list[str]:
    """Every truth file the demo writes: each sensor on every date of its site."""
    files = []
    for s in SITES:
        for date in s.dates:
            for sensor in s.ratios:
                files.append(truth_path(out_dir, s.name, sensor, date))
                if sensor in s.hyperspectral:
                    files.append(truth_path(out_dir, s.name, sensor, date, fine=True))
    return files
