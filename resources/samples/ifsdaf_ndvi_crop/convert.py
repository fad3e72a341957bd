"""Convert a crop of the `ifsdaf_ndvi` series (ENVI BSQ, arbitrary map info) into the GeoTIFFs of this folder.

    .venv/bin/python resources/samples/ifsdaf_ndvi_crop/convert.py [SOURCE_DIR] [--out OUT_DIR]

SOURCE_DIR (default /work/shared/data/ifsdaf_ndvi) holds the IFSDAF test data of
max19951001/Free-shared-Spatiotemporal-method-of-remote-sensing- @ 0c3ee14d1924d1e017eac2c6069b75fc6c9eb8e8,
`5.IFSDAF/IFSDAF_IDL`: 9 Landsat 8 OLI NDVI scenes of 2015 (`LC8PPPRRR2015DDDLGN00_ndvi`, WRS-2
paths 125 and 126, row 38, 576 x 552 pixels of 30 m, int16 NDVI x 10^4), a cfmask-style class map
for each but DOY 287 (`..._mask`, uint8: 0 clear, 1 water, 2 cloud shadow, 3 snow, 4 cloud, 255
outside the path-126 swath) and `MOD_16Day_ndvi`, 23 MODIS 16-day NDVI composites as bands in time
order (DOY 1, 17, ..., 353; 72 x 69 pixels of 240 m, int16 NDVI x 10^4), all on the same extent.
OUT_DIR defaults to this script's folder.

What the script writes (re-running it gives the same pixels and georeferencing):

- the crop: Landsat rows 360-551, columns 0-191 (192 x 192 pixels of 30 m, the south-west corner of
  the scene: forested hills, a river valley and fields, clear on every date but DOY 200), and the
  same area of the MODIS grid, rows 45-68, columns 0-23 (24 x 24 pixels of 240 m, ratio 8);
- `landsat_ndvi_YYYYMMDD.tif`: one band `ndvi`, int16 NDVI x 10^4 as in the source; the swath fill
  of the path-126 scenes (class 255 or value -9999 there) becomes nodata -32768 (not an NDVI value);
- `landsat_mask_YYYYMMDD.tif` (not for DOY 287, which has no mask): the class map as a QA raster
  of the pipeline's `mask` kind (`stfusion.qa`: 0 clear, 1 cloud, 2 cloud shadow): clear and
  WATER -> 0 (water is a surface, not an obstruction: its NDVI is real), shadow -> 2, cloud and
  SNOW -> 1 (snow hides the vegetation whose NDVI is fused), fill -> 0 (the NDVI nodata marks it);
- `modis_ndvi_YYYYMMDD.tif`: one band `ndvi` per 16-day composite, dated at its FIRST day
  (DOY 1 -> 2015-01-01, DOY 17 -> 2015-01-17, ...), int16 NDVI x 10^4 as in the source.

All: deflate-compressed (horizontal predictor), nodata -32768 tagged, tags naming the source, the
date, the day of year and the georeferencing.

GEOREFERENCING IS ASSIGNED, NOT THE REAL ONE. The ENVI headers carry "Arbitrary" map info (pixel
sizes only). WRS-2 paths 125/126 row 38 lie at about 110-112 E, 32 N (the Hubei-Shaanxi mountains);
the files get WGS 84 / UTM zone 49N (EPSG:32649) and an upper-left corner of the FULL scene at
(547200 E, 3541440 N), so the crop's corner is at (547200 E, 3530640 N): multiples of 240 m, so that
the 30 m and 240 m pixel edges lie on the pipeline's default grid lattice (anchor [0, 0]). Row 0
is north (ENVI's default orientation). Do not use these coordinates on the ground.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
import warnings
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning

DEFAULT_SOURCE = Path("/work/shared/data/ifsdaf_ndvi")
HERE = Path(__file__).resolve().parent

YEAR = 2015
LANDSAT = {  # day of year -> source file stem
    104: "LC81250382015104LGN00", 191: "LC81260382015191LGN00", 200: "LC81250382015200LGN00",
    216: "LC81250382015216LGN00", 239: "LC81260382015239LGN00", 248: "LC81250382015248LGN00",
    287: "LC81260382015287LGN00", 344: "LC81250382015344LGN00", 360: "LC81250382015360LGN00",
}
NO_MASK = {287}
MODIS = "MOD_16Day_ndvi"
MODIS_DOYS = tuple(range(1, 366, 16))              # 23 composites: 1, 17, ..., 353
FULL = (552, 576)                                   # Landsat rows, columns of the source
RATIO = 8                                           # Landsat pixels per MODIS pixel
ROW, COL, SIZE = 360, 0, 192                        # the crop, in Landsat pixels
PIXEL = 30.0

# ASSIGNED georeferencing (see the module docstring): not the real position of the scene.
CRS = "EPSG:32649"
FULL_X_MIN, FULL_Y_MAX = 547200.0, 3541440.0        # 2280 x 240 m, 14756 x 240 m
X_MIN, Y_MAX = FULL_X_MIN + COL * PIXEL, FULL_Y_MAX - ROW * PIXEL
NODATA = -32768
SOURCE_FILL = -9999                                 # NDVI value of the path-126 swath fill (class 255)

# cfmask classes of the source -> QA values of the pipeline's `mask` kind
CLEAR, WATER, SHADOW, SNOW, CLOUD, FILL = 0, 1, 2, 3, 4, 255
QA_OF_CLASS = {CLEAR: 0, WATER: 0, SHADOW: 2, SNOW: 1, CLOUD: 1, FILL: 0}

# SHA-256 of the source files this conversion was made from (/work/shared/data/ifsdaf_ndvi).
SOURCE_SHA256 = {
    "LC81250382015104LGN00_mask": "e6c3946949dac02f8093d375f835b2b2dc0e550ccf11bbcd5719ac4249fb8d20",
    "LC81250382015104LGN00_ndvi": "66bbeb964637171797d192cd9d9039c446ab1bd31d0f09c9d8659752f566e0a6",
    "LC81250382015200LGN00_mask": "967bbd5460d1954a24ed6e7eeaf796a1a4a5e908c26bdb3608196a8ae4323b84",
    "LC81250382015200LGN00_ndvi": "fa24855ca17f5d2040f361df880212358353f89cc612eac9ca3a52b2293f9b8f",
    "LC81250382015216LGN00_mask": "100b60562efe34df926c418dfb69bffe5510cf26abdfa2499daa32411e0561b2",
    "LC81250382015216LGN00_ndvi": "8e606ade3775d4c4c929f5d55618885c811dd1ae8df69982daad556c1aaaaa6d",
    "LC81250382015248LGN00_mask": "03e0d05de01a0540c29116c2b2518888a72da9ea87e790dbb12dc7ccc70eb041",
    "LC81250382015248LGN00_ndvi": "8133019c49d2af5624f21c06cb4ece6956d422a3817103be12914cd138011234",
    "LC81250382015344LGN00_mask": "a205e8fc1431eb91f22f9a8a486a7cc1bb87351e9347ff984fab094ad2597aa4",
    "LC81250382015344LGN00_ndvi": "a5e0277a3793cbf7d11727c8ce626a7da7710bd184cd920d4eacb8495552f63f",
    "LC81250382015360LGN00_mask": "431bd955fb4f075e63122d18e9710fc518a7d37ffd377fb217340f56612ecc8d",
    "LC81250382015360LGN00_ndvi": "3044c892faa762b71422a2e048e1d107ef553140f5764b3d3be032bec396abca",
    "LC81260382015191LGN00_mask": "bd30d5652b416083c997fbd094ba5c576532b462f51a82dd7439afa61adfe17e",
    "LC81260382015191LGN00_ndvi": "8b183648e310237b676bad9e9adbffac5e8e911f87fe2f33e46d603fe8457e3a",
    "LC81260382015239LGN00_mask": "b030020a847f451039101a6b8ec87729a08304c87af197a25dc78abc7678e8e5",
    "LC81260382015239LGN00_ndvi": "62656aa01820e638642b387cad2fac701b460aabe7605402d0261903ce0a4bd3",
    "LC81260382015287LGN00_ndvi": "56fae52f7d589ee474c85f0d849b7dde0311a313499d7d6495e8d2245a256338",
    "MOD_16Day_ndvi": "d1d0d93769d2113fd08fab63a2f6b3c153f98d87623384795cbfe6397213646e",
}
SOURCE = (
    "max19951001/Free-shared-Spatiotemporal-method-of-remote-sensing- @ "
    "0c3ee14d1924d1e017eac2c6069b75fc6c9eb8e8, 5.IFSDAF/IFSDAF_IDL/{name}"
)
GEOREFERENCING = (
    "ASSIGNED by resources/samples/ifsdaf_ndvi_crop/convert.py, not the real one: the source (ENVI) has "
    "arbitrary map info; EPSG:32649 with the full scene's corner at 547200 E 3541440 N is a plausible "
    "location for WRS-2 path 125/126 row 38"
)


def iso(doy: int) -> str:
    return (dt.date(YEAR, 1, 1) + dt.timedelta(days=doy - 1)).isoformat()


def read_envi(path: Path, count: int, shape: tuple[int, int], dtype: str) -> np.ndarray:
    """(count, rows, cols) array of an ENVI BSQ file, read with rasterio (GDAL's ENVI driver)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            found = (src.driver, src.count, src.height, src.width, src.dtypes[0])
            if found != ("ENVI", count, *shape, dtype):
                raise SystemExit(f"{path}: expected an ENVI file of {count} x {shape[0]} x {shape[1]} {dtype}, "
                                 f"got {found[0]} {found[1]} x {found[2]} x {found[3]} {found[4]}")
            return src.read()


def write(path: Path, data: np.ndarray, pixel: float, name: str, tags: dict, nodata: int | None) -> None:
    profile = dict(
        driver="GTiff", count=1, height=data.shape[0], width=data.shape[1], dtype=data.dtype.name,
        crs=CRS, transform=Affine(pixel, 0.0, X_MIN, 0.0, -pixel, Y_MAX), nodata=nodata,
        compress="deflate", predictor=2, zlevel=9,
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data, 1)
        dst.descriptions = (name,)
        dst.update_tags(**tags)


def landsat(source: Path, doy: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The crop's NDVI (fill -> NODATA) and QA (None without a mask) of one Landsat date."""
    stem = LANDSAT[doy]
    window = np.s_[ROW:ROW + SIZE, COL:COL + SIZE]
    ndvi = read_envi(source / f"{stem}_ndvi", 1, FULL, "int16")[0]
    if doy in NO_MASK:
        fill = np.zeros(FULL, bool)
        qa = None
    else:
        classes = read_envi(source / f"{stem}_mask", 1, FULL, "uint8")[0]
        unknown = set(np.unique(classes).tolist()) - set(QA_OF_CLASS)
        if unknown:
            raise SystemExit(f"{stem}_mask: classes {sorted(unknown)} are not cfmask's 0-4 or the fill 255")
        fill = classes == FILL
        if (fill & (ndvi != SOURCE_FILL)).any():
            raise SystemExit(f"{stem}: fill pixels (class 255) whose NDVI is not {SOURCE_FILL}")
        qa = np.vectorize(QA_OF_CLASS.get, otypes=[np.uint8])(classes)[window]
    if (ndvi < -10000).any() or (ndvi > 10000).any():
        raise SystemExit(f"{stem}_ndvi: values outside NDVI x 10^4 (-10000..10000)")
    return np.where(fill, NODATA, ndvi).astype("int16")[window], qa


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE, help=f"ENVI folder (default {DEFAULT_SOURCE})")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: this script's folder)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, expected in SOURCE_SHA256.items():
        digest = hashlib.sha256((args.source / name).read_bytes()).hexdigest()
        if digest != expected:
            print(f"warning: {args.source / name} is not the file this conversion was made from "
                  f"(sha256 {digest})", file=sys.stderr)
    for doy, stem in LANDSAT.items():
        ndvi, qa = landsat(args.source, doy)
        date = iso(doy)
        common = {"date": date, "doy": str(doy), "georeferencing": GEOREFERENCING,
                  "sensor": "Landsat 8 OLI surface reflectance NDVI, 30 m"}
        write(args.out / f"landsat_ndvi_{date.replace('-', '')}.tif", ndvi, PIXEL, "ndvi",
              {**common, "units": "NDVI x 10^4", "source": SOURCE.format(name=f"{stem}_ndvi")}, NODATA)
        if qa is not None:
            write(args.out / f"landsat_mask_{date.replace('-', '')}.tif", qa, PIXEL, "mask",
                  {**common, "units": "0 clear or water, 1 cloud or snow, 2 cloud shadow (from cfmask classes "
                   "0 clear, 1 water, 2 shadow, 3 snow, 4 cloud, 255 fill -> 0)",
                   "source": SOURCE.format(name=f"{stem}_mask")}, None)
        print(f"{date} (DOY {doy}): NDVI{' and mask' if qa is not None else ''}")
    modis = read_envi(args.source / MODIS, len(MODIS_DOYS), (FULL[0] // RATIO, FULL[1] // RATIO), "int16")
    if (modis < -10000).any() or (modis > 10000).any():
        raise SystemExit(f"{MODIS}: values outside NDVI x 10^4 (-10000..10000)")
    crop = modis[:, ROW // RATIO:(ROW + SIZE) // RATIO, COL // RATIO:(COL + SIZE) // RATIO]
    for band, doy in enumerate(MODIS_DOYS):
        date = iso(doy)
        write(args.out / f"modis_ndvi_{date.replace('-', '')}.tif", np.ascontiguousarray(crop[band]), PIXEL * RATIO,
              "ndvi", {"date": date, "doy": str(doy), "georeferencing": GEOREFERENCING, "units": "NDVI x 10^4",
                       "period": f"16-day composite {date} .. {iso(min(doy + 15, 365))}, dated at its first day",
                       "sensor": "MODIS 16-day NDVI composite, 240 m",
                       "source": SOURCE.format(name=f"{MODIS} band {band + 1}")}, NODATA)
    print(f"MODIS: {len(MODIS_DOYS)} composites, {iso(MODIS_DOYS[0])} .. {iso(MODIS_DOYS[-1])}")


if __name__ == "__main__":
    main()
