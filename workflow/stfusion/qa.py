"""Quality filtering: cloud, shadow and nodata flags from QA bands, and the keep/drop rule.

Flags are bits of a uint8 mask: NODATA, CLOUD, SHADOW; NO_QA where the scene has a QA file but the file has no
value (the QA raster covers only part of the site: what it does not cover is unknown, not clear); OUT_OF_RANGE
where a value is beyond the sensor's range and ``quality.out_of_range.action`` is mask (:mod:`.value_range`).
Pixels with NODATA, NO_QA or OUT_OF_RANGE are missing: they count as nodata in the keep/drop rule.
QA encodings decoded here:

- ``landsat_qa_pixel``: Landsat Collection 2 QA_PIXEL; bit 0 fill, bit 1 dilated cloud, bit 2
  cirrus, bit 3 cloud, bit 4 cloud shadow (USGS Landsat 8-9 C2 L2 Science Product Guide, table 6-3).
- ``modis_state``: MOD09GA ``state_1km``; bits 0-1 cloud state (01 cloudy, 10 mixed), bit 2 cloud
  shadow, bit 10 internal cloud algorithm flag (MODIS Surface Reflectance User's Guide, table 13).
- ``sentinel2_scl``: the Sentinel-2 L2A scene classification layer; class 0 no data, 3 cloud shadow,
  8 and 9 cloud of medium and high probability, 10 thin cirrus (ESA, Sentinel-2 L2A Algorithm Theoretical
  Basis Document S2-PDGS-MPC-ATBD-L2A, table "Scene Classification values").
- ``hls_fmask``: the HLS v2.0 ``Fmask`` layer; bit 1 cloud, bit 2 adjacent to cloud or shadow, bit 3 cloud
  shadow, bit 4 snow/ice, bit 5 water, bits 6-7 aerosol level, bit 0 (cirrus) reserved and unused; 255 is fill
  (HLS Product User Guide v2.0, table "Fmask"). Cloud and its adjacent pixels are CLOUD, shadow SHADOW; snow and
  water are surfaces, not obstructions, and are kept (as ``landsat_qa_pixel`` keeps them).
- ``mask``: a plain mask, 0 clear, 1 cloud, 2 cloud shadow, any other non-zero value cloud.
- ``none``: nodata only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

NODATA, CLOUD, SHADOW, NO_QA, OUT_OF_RANGE = 1, 2, 4, 8, 16
MISSING = NODATA | NO_QA | OUT_OF_RANGE
QA_KINDS = ("landsat_qa_pixel", "modis_state", "sentinel2_scl", "hls_fmask", "mask", "none")
SCL_NODATA, SCL_SHADOW, SCL_CLOUD = (0,), (3,), (8, 9, 10)
FMASK_FILL = 255


def _bit(qa: np.ndarray, bit: int) -> np.ndarray:
    return (qa.astype(np.int64) >> bit) & 1 == 1


def decode_qa(qa: np.ndarray, kind: str) -> np.ndarray:
    """Decode a QA raster of the given encoding into NODATA / CLOUD / SHADOW flag bits; the masked pixels of a
    masked array (outside the QA file) get NO_QA alone."""
    outside = np.ma.getmaskarray(qa)
    qa = np.ma.getdata(qa)
    flags = np.zeros(qa.shape, dtype=np.uint8)
    if kind == "landsat_qa_pixel":
        flags[_bit(qa, 0)] |= NODATA
        flags[_bit(qa, 1) | _bit(qa, 2) | _bit(qa, 3)] |= CLOUD
        flags[_bit(qa, 4)] |= SHADOW
    elif kind == "modis_state":
        state = qa.astype(np.int64) & 0b11
        flags[(state == 1) | (state == 2) | _bit(qa, 10)] |= CLOUD
        flags[_bit(qa, 2)] |= SHADOW
    elif kind == "sentinel2_scl":
        flags[np.isin(qa, SCL_NODATA)] |= NODATA
        flags[np.isin(qa, SCL_CLOUD)] |= CLOUD
        flags[np.isin(qa, SCL_SHADOW)] |= SHADOW
    elif kind == "hls_fmask":
        fill = qa == FMASK_FILL
        flags[fill] |= NODATA
        flags[(_bit(qa, 1) | _bit(qa, 2)) & ~fill] |= CLOUD
        flags[_bit(qa, 3) & ~fill] |= SHADOW
    elif kind == "mask":
        flags[qa == 2] |= SHADOW
        flags[(qa != 0) & (qa != 2)] |= CLOUD
    elif kind != "none":
        raise ValueError(f"unknown QA kind {kind!r}; known: {', '.join(QA_KINDS)}")
    flags[outside] = NO_QA
    return flags


def scene_flags(reflectance: np.ndarray, qa_flags: np.ndarray | None) -> np.ndarray:
    """Combine QA flags with nodata from the reflectance (a pixel missing in any band is nodata)."""
    flags = np.zeros(reflectance.shape[1:], dtype=np.uint8) if qa_flags is None else qa_flags.copy()
    flags[np.isnan(reflectance).any(axis=0)] |= NODATA
    return flags


@dataclass(frozen=True)
class QualityReport:
    """Fractions of the site area, and the decision with its reason."""

    nodata_fraction: float
    cloud_fraction: float
    shadow_fraction: float
    no_qa_fraction: float  # with data but no QA value (outside the QA file), included in nodata_fraction
    kept: bool
    reason: str


def assess(flags: np.ndarray, max_cloud: float, max_nodata: float) -> QualityReport:
    """Keep a scene unless it is empty or over a threshold (Tan, Di, Zhang, Guo and Gao (2019), "An Enhanced Deep
    Convolutional Model for Spatiotemporal Image Fusion", Remote Sensing 11(24), 2898: fine cloud > 5 %, coarse
    nodata > 1 %).

    The nodata fraction counts missing pixels (nodata, no QA value, or masked out of range); the cloud fraction
    counts cloud and shadow pixels that are not missing; both over the site area.
    """
    nodata = (flags & MISSING) > 0
    cloud = ((flags & CLOUD) > 0) & ~nodata
    shadow = ((flags & SHADOW) > 0) & ~nodata & ~cloud
    no_qa = ((flags & NO_QA) > 0) & ((flags & NODATA) == 0)
    out_of_range = ((flags & OUT_OF_RANGE) > 0) & ((flags & (NODATA | NO_QA)) == 0)
    fractions = {
        "nodata_fraction": float(nodata.mean()),
        "cloud_fraction": float(cloud.mean()),
        "shadow_fraction": float(shadow.mean()),
        "no_qa_fraction": float(no_qa.mean()),
    }
    parts = [f"{share:.1%} {what}" for share, what in ((no_qa.mean(), "without a QA value"),
                                                        (out_of_range.mean(), "masked out of range")) if share > 0]
    of_which = f" (of which {', '.join(parts)})" if parts else ""
    obscured = fractions["cloud_fraction"] + fractions["shadow_fraction"]
    if nodata.all():
        reason = "all pixels are nodata" + of_which
    elif (nodata | cloud | shadow).all():
        reason = "no clear pixel: all cloud, shadow or nodata" + of_which
    elif fractions["nodata_fraction"] > max_nodata:
        reason = f"nodata {fractions['nodata_fraction']:.1%} > max_nodata {max_nodata:.1%}{of_which}"
    elif obscured > max_cloud:
        reason = f"cloud+shadow {obscured:.1%} > max_cloud {max_cloud:.1%}"
    else:
        reason = "clear enough"
    return QualityReport(**{k: round(v, 6) for k, v in fractions.items()}, kept=reason == "clear enough", reason=reason)


def mask_obscured(reflectance: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Reflectance with every flagged pixel (missing, cloud, shadow) set to NaN in all bands."""
    out = reflectance.copy()
    out[:, flags > 0] = np.nan
    return out


def thresholds(quality: Mapping, sensor: str, ratio: int) -> dict[str, float]:
    """``quality.sensors.<sensor>`` if given, else ``quality.fine`` (ratio 1) or ``quality.coarse``."""
    role = "fine" if ratio == 1 else "coarse"
    return {**quality[role], **quality.get("sensors", {}).get(sensor, {})}

