"""Convert the `lgc_crop` sample (ENVI BSQ, no map info) into the GeoTIFFs of this folder.

    /work/venv/bin/python resources/samples/lgc_crop/convert.py [SOURCE_DIR] [--out OUT_DIR]

SOURCE_DIR (default /work/shared/data/lgc_crop) holds the four ENVI files of the crop of the Lower
Gwydir Catchment (LGC) benchmark shipped as the FSDAF test data of
max19951001/Free-shared-Spatiotemporal-method-of-remote-sensing- @ 0c3ee14d1924d1e017eac2c6069b75fc6c9eb8e8,
`3.FSDAF/FSDAF_IDL/test data`: `Landsat20041126`, `Landsat20041228`, `MODIS20041126`,
`MODIS20041228` (480 x 480 pixels, 3 bands green/red/NIR = Landsat 5 TM B2/B3/B4, int16 surface
reflectance x 10^4, with ENVI `.hdr`/`.HDR` headers). OUT_DIR defaults to this script's folder.
The SVM class map of the source is not converted (the pipeline does not use it).

What the script writes (re-running it gives the same pixels and georeferencing):

- `landsat_YYYYMMDD.tif`: the Landsat image as it is, 480 x 480 pixels of 30 m, int16 x 10^4.
- `modis_sim_YYYYMMDD.tif`: the simulated "MODIS" image at its true coarse resolution, 30 x 30
  pixels of 480 m. The source stores it at 30 m, each 16 x 16 block holding one value (the block
  mean of the Landsat image rounded to an integer, checked below); the script keeps one value per
  block, so the pipeline's ratio-16 coarse grid gets one real 480 m pixel per cell (the source's
  30 m layout would make the pipeline average 256 equal values back into the same number).

Both: deflate-compressed (horizontal predictor), band names `green`, `red`, `nir`, nodata -9999
tagged (the source has no fill value and no pixel <= 0, so no pixel is nodata), and metadata tags
naming the source, the date and the georeferencing.

GEOREFERENCING IS ASSIGNED, NOT THE REAL ONE. The ENVI headers have no map info (only the crop's
pixel offset `x start = 1239, y start = 1842` in the full LGC scene). The files get WGS 84 / UTM
zone 55S (EPSG:32755), the zone of the Lower Gwydir Catchment in New South Wales (about 149.3 E,
29.5 S), and an upper-left corner at (723360 E, 6733440 N), i.e. about 149.304 E, 29.509 S: a
plausible location in the Lower Gwydir, west of Moree, chosen as multiples of 480 m so that the
30 m and 480 m pixel edges lie on the pipeline's default grid lattice (anchor [0, 0], cells of
16 x 30 m). Row 0 is taken as north (ENVI's default image orientation). Any analysis that needs
the true position on the ground must not use these coordinates.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import warnings
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning

DEFAULT_SOURCE = Path("/work/shared/data/lgc_crop")
HERE = Path(__file__).resolve().parent

DATES = ("20041126", "20041228")
BANDS = ("green", "red", "nir")            # Landsat 5 TM B2, B3, B4
SIZE = 480                                 # fine pixels per side
RATIO = 16                                 # fine pixels per simulated MODIS pixel
PIXEL = 30.0                               # metres

# ASSIGNED georeferencing (see the module docstring): not the real position of the crop.
CRS = "EPSG:32755"
X_MIN, Y_MAX = 723360.0, 6733440.0         # 1507 x 480 m, 14028 x 480 m
NODATA = -9999

# SHA-256 of the source files this conversion was made from (/work/shared/data/lgc_crop).
SOURCE_SHA256 = {
    "Landsat20041126": "33d868467cc2b86dd8289239aad1d40bf697204af89db96e3fc167de132fd6ec",
    "Landsat20041228": "e8341afcaeefa511c03dff7bc841c53d572393c5b13a5374a6ff0000ea132c48",
    "MODIS20041126": "2d08167ec648a71b1f43cfb8de79e42bd8681aa43567eaafa81da6cb3ceff915",
    "MODIS20041228": "86714a06120be35eee27540b7c099deafe1427700e935c402a4b4eee4ced8e81",
}
SOURCE = (
    "max19951001/Free-shared-Spatiotemporal-method-of-remote-sensing- @ "
    "0c3ee14d1924d1e017eac2c6069b75fc6c9eb8e8, 3.FSDAF/FSDAF_IDL/test data/{name}"
)
GEOREFERENCING = (
    "ASSIGNED by resources/samples/lgc_crop/convert.py, not the real one: the source (ENVI) has no map "
    "info; EPSG:32755 and the origin 723360 E 6733440 N are a plausible location in the Lower Gwydir "
    "Catchment, NSW"
)


def read_envi(path: Path) -> np.ndarray:
    """(3, 480, 480) int16 array of an ENVI BSQ file, read with rasterio (GDAL's ENVI driver)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            if (src.driver, src.count, src.height, src.width, src.dtypes[0]) != ("ENVI", 3, SIZE, SIZE, "int16"):
                raise SystemExit(f"{path}: expected an ENVI file of 3 x {SIZE} x {SIZE} int16, got "
                                 f"{src.driver} {src.count} x {src.height} x {src.width} {src.dtypes[0]}")
            return src.read()


def block_values(modis: np.ndarray, landsat: np.ndarray, name: str) -> np.ndarray:
    """One value per 16 x 16 block of the 30 m "MODIS" layout, after checking that every block is
    constant and equals the Landsat block mean rounded to an integer (|difference| <= 0.5 + 1e-9)."""
    blocks = modis.reshape(3, SIZE // RATIO, RATIO, SIZE // RATIO, RATIO)
    coarse = blocks[:, :, 0, :, 0]
    if not (blocks == coarse[:, :, None, :, None]).all():
        raise SystemExit(f"{name}: the 16 x 16 blocks are not constant: not the simulated MODIS of this sample")
    means = landsat.reshape(blocks.shape).astype("float64").mean(axis=(2, 4))
    worst = float(np.abs(coarse - means).max())
    if worst > 0.5 + 1e-9:
        raise SystemExit(f"{name}: differs from the Landsat block means by up to {worst}")
    return np.ascontiguousarray(coarse)


def write(path: Path, data: np.ndarray, pixel: float, tags: dict) -> None:
    profile = dict(
        driver="GTiff", count=3, height=data.shape[1], width=data.shape[2], dtype="int16",
        crs=CRS, transform=Affine(pixel, 0.0, X_MIN, 0.0, -pixel, Y_MAX), nodata=NODATA,
        compress="deflate", predictor=2, zlevel=9, interleave="band",
        **({"tiled": True, "blockxsize": 256, "blockysize": 256} if data.shape[1] > 256 else {}),
    )
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
        dst.descriptions = BANDS
        dst.update_tags(**tags)


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
    for date in DATES:
        landsat = read_envi(args.source / f"Landsat{date}")
        modis = read_envi(args.source / f"MODIS{date}")
        if (landsat <= 0).any() or (modis <= 0).any():
            raise SystemExit(f"{date}: values <= 0 found; the nodata choice {NODATA} must be revisited")
        iso = f"{date[:4]}-{date[4:6]}-{date[6:]}"
        common = {"date": iso, "units": "surface reflectance x 10^4", "georeferencing": GEOREFERENCING,
                  "bands": "Landsat 5 TM B2 (green), B3 (red), B4 (NIR)"}
        write(args.out / f"landsat_{date}.tif", landsat, PIXEL,
              {**common, "source": SOURCE.format(name=f"Landsat{date}"), "sensor": "Landsat 5 TM, 30 m"})
        write(args.out / f"modis_sim_{date}.tif", block_values(modis, landsat, f"MODIS{date}"), PIXEL * RATIO,
              {**common, "source": SOURCE.format(name=f"MODIS{date}"),
               "sensor": "simulated MODIS: 16 x 16 block means of the Landsat image (rounded), 480 m"})
        print(f"{iso}: landsat_{date}.tif (480 x 480, 30 m), modis_sim_{date}.tif (30 x 30, 480 m)")


if __name__ == "__main__":
    main()
