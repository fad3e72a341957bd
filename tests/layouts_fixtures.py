"""Small rasters under the names that real product metadata (tests/data/products/layouts/) gives them, over the site
of products_fixtures, and the archives and HDF4 granules the layouts of issue 24 are read from.

The metadata files are the real ones (PROVENANCE.md beside them); only the pixels are made here, so each test checks
how a reader takes a real product's names, storage, dates and satellite.
"""
from __future__ import annotations

import json
import re
import shutil
import tarfile
import zipfile
from pathlib import Path

import numpy as np
from affine import Affine
from products_fixtures import BOUNDS, MODIS_PIXEL, SINU, UTM, sentinel2_l2a
from pyhdf.SD import SD, SDC
from rasterio.warp import transform_bounds
from stfusion.demo.layouts import write_band

REAL = Path(__file__).parent / "data" / "products" / "layouts"
LANDSAT_MTL_TXT = REAL / "LC09_L2SP_010065_20220129_20220131_02_T1_MTL.txt"
S2_SAFES = {baseline: next(REAL.glob(f"S2*_N{baseline}_*.SAFE")) for baseline in ("0212", "0400", "0509")}
S2_TILEINFO = REAL / "S2B_MSIL2A_20200914T231559_N0500_R087_T01VCG_20230315T224658" / "tileInfo.json"
HLS_ITEMS = {"L30": REAL / "HLS.L30.T19LDD.2022165T144027.v2.0.json", "S30": REAL / "HLS.S30.T19LDD.2022166T144741.v2.0.json"}
MODIS_A1_XML = REAL / "MOD09A1.A2022033.h19v10.061.2022042043514.hdf.xml"
MODIS_STRUCT = REAL / "MOD10A2.A2022033.h09v05.061.2022042050729.StructMetadata.0.txt"
SITE_30M = Affine(30, 0, BOUNDS[0] - 60, 0, -30, BOUNDS[3] + 60)  # 68 x 68 pixels around the 64 x 64 site
KELVIN_DN = 41252  # ST_B10: 41252 * 0.00341802 + 149.0 = 290.0 K


def landsat_from_mtl(folder: Path, mtl: Path = LANDSAT_MTL_TXT, seed: int = 0) -> Path:
    """The MTL copied into ``folder`` with every SR band, ST_B10 and QA_PIXEL it names (68 x 68, 30 m); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = Path(shutil.copy(mtl, folder / mtl.name))
    rng = np.random.default_rng(seed)
    level2 = copy.read_text().split("GROUP = LEVEL1_PROCESSING_RECORD")[0]  # the L1 file names are not delivered
    for key, name in re.findall(r'FILE_NAME_(BAND_\w+|QUALITY_L1_PIXEL) = "(\S+\.TIF)"', level2):
        dn = (np.full((68, 68), KELVIN_DN) if "ST_B" in key else np.full((68, 68), 21824) if "PIXEL" in key
              else rng.integers(8000, 20000, size=(68, 68)))
        write_band(folder / name, dn.astype("uint16"), UTM, SITE_30M, None if "PIXEL" in key else 0)
    return copy


def sentinel2_real(folder: Path, baseline: str, seed: int = 2) -> Path:
    """A SAFE of the real product name and metadata file of ``baseline`` (0212, 0400, 0509) with made bands."""
    real = S2_SAFES[baseline]
    made = sentinel2_l2a(folder / "made", seed=seed)
    safe = folder / real.name
    made.rename(safe)
    shutil.rmtree(folder / "made")
    (safe / "MTD_MSIL2A.xml").unlink()
    for xml in real.glob("*.xml"):
        shutil.copy(xml, safe / xml.name)
    return safe


def earth_search_folder(folder: Path, tileinfo: bool = True, seed: int = 4) -> Path:
    """Element84 Earth Search COGs of one item: ``B02.tif`` ... at 10/20/60 m, ``SCL.tif``, and the tile info."""
    rng = np.random.default_rng(seed)
    resolution = {"B01": 60, "B02": 10, "B03": 10, "B04": 10, "B05": 20, "B06": 20, "B07": 20, "B08": 10, "B8A": 20,
                  "B09": 60, "B11": 20, "B12": 20, "SCL": 20}
    for code, res in resolution.items():
        size = 1920 // res
        data = np.full((size, size), 4, "uint8") if code == "SCL" else rng.integers(1200, 5000, (size, size)).astype("uint16")
        write_band(folder / f"{code}.tif", data, UTM, Affine(res, 0, BOUNDS[0], 0, -res, BOUNDS[3]), None if code == "SCL" else 0)
    if tileinfo:
        shutil.copy(S2_TILEINFO, folder / "tileinfo_metadata.json")
    return folder


def hls_granule(folder: Path, product: str, seed: int = 5) -> Path:
    """The band files and Fmask of a real HLS item (names from its asset hrefs), 64 x 64 at 30 m; returns the folder."""
    rng = np.random.default_rng(seed)
    item = json.loads(HLS_ITEMS[product].read_text())
    for asset in item["assets"].values():
        name = asset["href"].rsplit("/", 1)[1]
        if not name.endswith(".tif"):
            continue
        fmask = name.endswith(".Fmask.tif")
        data = np.zeros((64, 64), "uint8") if fmask else rng.integers(100, 4000, (64, 64)).astype("int16")
        write_band(folder / name, data, UTM, Affine(30, 0, BOUNDS[0], 0, -30, BOUNDS[3]), 255 if fmask else -9999)
    return folder


def struct_metadata(grids: dict[str, tuple[int, int, Affine, list[str]]]) -> str:
    """HDF-EOS StructMetadata text of sinusoidal grids {name: (width, height, transform, fields)}, laid out as the real
    MODIS granule's (MODIS_STRUCT)."""
    text = ["GROUP=SwathStructure", "END_GROUP=SwathStructure", "GROUP=GridStructure"]
    for i, (name, (width, height, t, fields)) in enumerate(grids.items(), start=1):
        text += [f"\tGROUP=GRID_{i}", f'\t\tGridName="{name}"', f"\t\tXDim={width}", f"\t\tYDim={height}",
                 f"\t\tUpperLeftPointMtrs=({t.c:.6f},{t.f:.6f})",
                 f"\t\tLowerRightMtrs=({t.c + width * t.a:.6f},{t.f + height * t.e:.6f})",
                 "\t\tProjection=GCTP_SNSOID", "\t\tProjParams=(6371007.181000,0,0,0,0,0,0,0,0,0,0,0,0)",
                 "\t\tSphereCode=-1", "\t\tGridOrigin=HDFE_GD_UL", "\t\tGROUP=DataField"]
        for j, field in enumerate(fields, start=1):
            text += [f"\t\t\tOBJECT=DataField_{j}", f'\t\t\t\tDataFieldName="{field}"', f"\t\t\tEND_OBJECT=DataField_{j}"]
        text += ["\t\tEND_GROUP=DataField", f"\tEND_GROUP=GRID_{i}"]
    return "\n".join([*text, "END_GROUP=GridStructure", "END", ""])


def modis_hdf(folder: Path, name: str = "MOD09GA.A2021152.h18v04.061.2021154040000.hdf", seed: int = 6) -> tuple[Path, np.ndarray]:
    """A MOD09GA (or, by its name, MOD09A1) granule covering the site: int16 bands with the MOD09 SDS attributes, the
    state layer, StructMetadata.0; returns the file and its band values (7, rows, cols)."""
    left, bottom, right, top = transform_bounds(UTM, SINU, *BOUNDS, densify_pts=21)
    x0, y0 = (np.floor(left / MODIS_PIXEL) - 2) * MODIS_PIXEL, (np.ceil(top / MODIS_PIXEL) + 2) * MODIS_PIXEL
    size = 2 * int(np.ceil(max(right - x0, y0 - bottom) / MODIS_PIXEL / 2)) + 2
    dn = np.random.default_rng(seed).integers(300, 3000, size=(7, size, size)).astype("int16")
    daily = "09GA" in name
    bands = [f"sur_refl_b0{n}{'_1' if daily else ''}" for n in range(1, 8)]
    state = "state_1km_1" if daily else "sur_refl_state_500m"
    grid500 = "MODIS_Grid_500m_2D" if daily else "MOD_Grid_500m_Surface_Reflectance"
    fine = Affine(MODIS_PIXEL, 0, x0, 0, -MODIS_PIXEL, y0)
    grids = {grid500: (size, size, fine, bands if daily else [*bands, state])}
    if daily:
        grids["MODIS_Grid_1km_2D"] = (size // 2, size // 2, Affine(2 * MODIS_PIXEL, 0, x0, 0, -2 * MODIS_PIXEL, y0), [state])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    sd = SD(str(path), SDC.WRITE | SDC.CREATE)
    sd.attr("StructMetadata.0").set(SDC.CHAR, struct_metadata(grids))
    for field, plane in zip(bands, dn):
        sds = sd.create(field, SDC.INT16, plane.shape)
        sds[:] = plane
        for attribute, kind, value in (("scale_factor", SDC.FLOAT64, 0.0001), ("add_offset", SDC.FLOAT64, 0.0),
                                       ("_FillValue", SDC.INT16, -28672)):
            sds.attr(attribute).set(kind, value)
        sds.endaccess()
    qa_size = size // 2 if daily else size
    sds = sd.create(state, SDC.UINT16, (qa_size, qa_size))
    sds[:] = np.zeros((qa_size, qa_size), "uint16")
    sds.endaccess()
    sd.end()
    return path, dn


def zip_folder(folder: Path, archive: Path) -> Path:
    """``folder`` zipped with its own name as the top folder (as ESA's ``.SAFE.zip``)."""
    with zipfile.ZipFile(archive, "w") as out:
        for file in sorted(folder.rglob("*")):
            out.write(file, file.relative_to(folder.parent).as_posix())
    return archive


def tar_folder(folder: Path, archive: Path) -> Path:
    """The files of ``folder`` in an uncompressed tar, flat (as USGS delivers a Landsat product)."""
    with tarfile.open(archive, "w") as out:
        for file in sorted(folder.iterdir()):
            out.add(file, file.name)
    return archive
