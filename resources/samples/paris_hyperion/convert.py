"""Convert the `paris_hyperion` sample (MATLAB .mat, no map info) into the GeoTIFFs of this folder.

    /work/venv/bin/python resources/samples/paris_hyperion/convert.py [SOURCE_DIR] [--out OUT_DIR]

SOURCE_DIR (default /work/shared/data/paris_hyperion) holds `paris_data_hs_ms.mat` of
alfaiate/HySure @ 8652a5838b95c29ca056f7921f8ac58def6bbaf7, `data/` (the Paris data set of Simoes et
al. 2015, IEEE TGRS 53(6), 3373-3388): `HSim`, an EO-1 Hyperion cube of 72 x 72 pixels x 128 bands,
`MSim`, the co-registered EO-1 ALI multispectral image of 72 x 72 pixels x 9 bands (MS-1p..MS-7), both
float64 at 30 m, and `non_del_bands`, the Hyperion band numbers of the 128 bands kept. OUT_DIR defaults
to this script's folder. The pan-sharpening variant (`paris_data_hs_pan.mat`) and the IKONOS responses
are not converted (the pipeline does not use them).

`non_del_bands` is 1-BASED (Hyperion's own numbering, B1..B242): its first value, 8, is B8 = 426.82 nm,
the first calibrated VNIR band (B1-B7 are not calibrated), and the gaps fall on bands that are not
calibrated, repeat the VNIR/SWIR overlap or lie in the water-vapour absorptions (B57-B82 at 925-963 nm,
B97-B101 at 1114-1155 nm, B119-B134 at 1336-1488 nm, B163-B193 at 1780-2083 nm, B220-B242), except
B197-B201 and B215 (2123-2163 and 2305 nm, presumably dropped as noisy). Read 0-based, the first kept
band would be B9 and the last B220, and the 1400 nm gap would start at 1346 nm. HySure's own demo
intersects it with 1-based Hyperion band numbers (B9-B10 for ALI MS-1p, 433-453 nm).

What the script writes (re-running it gives the same pixels and georeferencing):

- `hyperion.tif`: the Hyperion cube, 128 bands named by their Hyperion band (`B8`, `B9`, ..., `B219`; the
  centres are in workflow/stfusion/data/sensors/eo1_hyperion.yaml), 72 x 72 pixels of 30 m.
- `ali.tif`: the ALI image, 9 bands named as in workflow/stfusion/data/sensors/eo1_ali.yaml (`MS1p`, `MS1`, `MS2`,
  `MS3`, `MS4`, `MS4p`, `MS5p`, `MS5`, `MS7`), same grid.

Both: float32 (the float64 values rounded to float32, relative error below 6e-8), deflate-compressed with
the floating-point predictor, no nodata (the source has none: every value is finite and > 0), and
metadata tags naming the source, the units and the georeferencing. The source does not state its units:
the Hyperion band means fall with wavelength roughly as solar irradiance does (0.64 at 427 nm, 0.018
at 2345 nm), like at-sensor radiance scaled by about 1/100, while the ALI band means do not
(0.21 at 443 nm, 0.49 at 868 nm, 0.30 at 2215 nm), like reflectance; so the two images are NOT in the
same units. They are stored as they are.

GEOREFERENCING IS ASSIGNED, NOT THE REAL ONE. The .mat file has no map info and its acquisition date
and position are not stated. The files get WGS 84 / UTM zone 31N (EPSG:32631), the zone of Paris, and an
upper-left corner at (451440 E, 5412780 N), i.e. about 2.336 E, 48.866 N: a 2.16 km square around the
centre of Paris, chosen as multiples of 90 m so that the 30 m pixels and the 90 m pixels of a ratio-3
degradation lie on the pipeline's default grid lattice (anchor [0, 0]). Row 0 is taken as north. Any
analysis that needs the true position on the ground must not use these coordinates.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from scipy.io import loadmat

DEFAULT_SOURCE = Path("/work/shared/data/paris_hyperion")
HERE = Path(__file__).resolve().parent
MAT = "paris_data_hs_ms.mat"
SOURCE_SHA256 = "81e13528535ff32a0e0069368daa3aa9206d1393317391571a29958f5f57d839"
SOURCE = "alfaiate/HySure @ 8652a5838b95c29ca056f7921f8ac58def6bbaf7, data/paris_data_hs_ms.mat, variable {name}"

SIZE = 72                                  # pixels per side
PIXEL = 30.0                               # metres
ALI_BANDS = ("MS1p", "MS1", "MS2", "MS3", "MS4", "MS4p", "MS5p", "MS5", "MS7")

# ASSIGNED georeferencing (see the module docstring): not the real position of the scene.
CRS = "EPSG:32631"
X_MIN, Y_MAX = 451440.0, 5412780.0         # 5016 x 90 m, 60142 x 90 m
GEOREFERENCING = (
    "ASSIGNED by resources/samples/paris_hyperion/convert.py, not the real one: the source (.mat) has no "
    "map info; EPSG:32631 and the origin 451440 E 5412780 N are a square around the centre of Paris"
)
UNITS = ("as in the source, which does not state them: float64 rounded to float32; the Hyperion values "
         "look like at-sensor radiance / 100, the ALI values like reflectance (not the same units)")


def read_mat(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hyperion (128, 72, 72) and ALI (9, 72, 72) float64 cubes and the kept Hyperion band numbers (1-based)."""
    data = loadmat(path)
    hs, ms = (np.moveaxis(data[name], 2, 0) for name in ("HSim", "MSim"))
    kept = data["non_del_bands"].ravel().astype(int)
    if hs.shape != (len(kept), SIZE, SIZE) or ms.shape != (len(ALI_BANDS), SIZE, SIZE):
        raise SystemExit(f"{path}: expected HSim 72 x 72 x {len(kept)} and MSim 72 x 72 x 9, "
                         f"got {data['HSim'].shape} and {data['MSim'].shape}")
    if kept.min() < 1 or kept.max() > 242 or np.any(np.diff(kept) <= 0):
        raise SystemExit(f"{path}: non_del_bands must be increasing Hyperion band numbers 1..242")
    for name, cube in (("HSim", hs), ("MSim", ms)):
        if not np.isfinite(cube).all() or (cube <= 0).any():
            raise SystemExit(f"{path}: {name} has values that are not finite and > 0; the no-nodata choice must be revisited")
    return hs, ms, kept


def write(path: Path, data: np.ndarray, names: list[str], tags: dict) -> None:
    with rasterio.open(path, "w", driver="GTiff", count=data.shape[0], height=SIZE, width=SIZE, dtype="float32",
                       crs=CRS, transform=Affine(PIXEL, 0.0, X_MIN, 0.0, -PIXEL, Y_MAX), nodata=None,
                       compress="deflate", predictor=3, zlevel=9, interleave="band") as dst:
        dst.write(data.astype("float32"))
        dst.descriptions = tuple(names)
        dst.update_tags(**tags)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE, help=f"folder of {MAT} (default {DEFAULT_SOURCE})")
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: this script's folder)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256((args.source / MAT).read_bytes()).hexdigest()
    if digest != SOURCE_SHA256:
        print(f"warning: {args.source / MAT} is not the file this conversion was made from (sha256 {digest})",
              file=sys.stderr)
    hs, ms, kept = read_mat(args.source / MAT)
    common = {"units": UNITS, "georeferencing": GEOREFERENCING, "date": "unknown (not stated by the source)"}
    write(args.out / "hyperion.tif", hs, [f"B{n}" for n in kept],
          {**common, "source": SOURCE.format(name="HSim"), "sensor": "EO-1 Hyperion, 30 m (eo1_hyperion)",
           "bands": f"Hyperion bands (1-based, non_del_bands of the source): {' '.join(map(str, kept))}"})
    write(args.out / "ali.tif", ms, list(ALI_BANDS),
          {**common, "source": SOURCE.format(name="MSim"), "sensor": "EO-1 ALI multispectral, 30 m (eo1_ali)",
           "bands": "ALI MS-1p, MS-1, MS-2, MS-3, MS-4, MS-4p, MS-5p, MS-5, MS-7 (ALI bands 2-10)"})
    print(f"hyperion.tif ({len(kept)} bands), ali.tif (9 bands): 72 x 72 pixels of 30 m, {CRS} (assigned)")


if __name__ == "__main__":
    main()
