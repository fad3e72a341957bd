"""How a STAC item's band assets store reflectance: ``reflectance = DN * scale + offset``, fill ``nodata``.

Stated by the raster extension, v1 (``raster:bands[0]``: ``scale``, ``offset``, ``nodata``, ``data_type``) or
v2 / STAC 1.1 (on the asset or its ``bands`` entry: ``raster:scale``, ``raster:offset``, ``nodata``,
``data_type``). Sentinel-2 L2A items are decided by their processing baseline instead: from 04.00 (25 January
2022) the products carry BOA_ADD_OFFSET = -1000 DN (-0.1 at scale 1e-4), before it none (ESA,
COPE-GSEG-EOPG-TN-21-0024). The baseline is ``s2:processing_baseline``, CDSE's ``processing:version``, or the
``N0400`` of the product name (``s2:product_uri``, Earth Search v0's ``sentinel:product_id``, the item id).
Earth Search's ``earthsearch:boa_offset_applied: true`` marks COGs whose DN already have the offset applied, so
they get none, whatever ``raster:bands`` states (Element84/earth-search issue #66; cirrus-earth-search #21).
HLS v2.0 items of NASA (served by the Planetary Computer as ``hls2-l30``/``hls2-s30``) state no storage: an item
whose id is an HLS granule's gets the HLS storage (:data:`.hls.STORAGE`), not its sensor's.
"""
from __future__ import annotations

import re

import pystac

from ..errors import InputDataError
from ..sensors import Storage
from . import hls
from .stac_assets import band_infos

FIRST_OFFSET_BASELINE = (4, 0)
BOA_ADD_OFFSET = -1000.0
S2_SCALE = 1e-4
PRODUCT_BASELINE = re.compile(r"_N(\d\d)(\d\d)_")


def _stated(item: pystac.Item, asset: pystac.Asset) -> tuple | None:
    """(data type, scale, offset, nodata) the asset states, or None if it states no scale or offset."""
    fields = asset.extra_fields
    v1 = (fields.get("raster:bands") or [{}])[0]
    if "scale" in v1 or "offset" in v1:
        return v1.get("data_type", ""), v1.get("scale", 1.0), v1.get("offset", 0.0), v1.get("nodata")
    for v2 in (*band_infos(item, asset)[:1], fields):
        if "raster:scale" in v2 or "raster:offset" in v2:
            return (v2.get("data_type", fields.get("data_type", "")), v2.get("raster:scale", 1.0),
                    v2.get("raster:offset", 0.0), v2.get("nodata", fields.get("nodata")))
    return None


def is_sentinel2_l2a(item: pystac.Item) -> bool:
    """An ESA Sentinel-2 L2A product, by its properties (``s2:``, Earth Search v0's ``sentinel:``), product type,
    collection or id (``S2A_MSIL2A_...``, Earth Search's ``S2A_28QCH_20200714_0_L2A``); not HLS S30, whose
    platform is Sentinel-2 too."""
    props = item.properties
    return (any(k.startswith(("s2:", "sentinel:", "earthsearch:boa")) for k in props)
            or props.get("product:type") == "S2MSI2A"
            or re.search(r"sentinel-?s?2-l2a", item.collection_id or "") is not None
            or re.match(r"S2[A-D]_(MSIL2A_|\w{5}_\d{8}_\d+_L2A)", item.id) is not None)


def processing_baseline(item: pystac.Item) -> str | None:
    """The item's processing baseline as ``MM.mm``, or None if it states none."""
    props = item.properties
    for key in ("s2:processing_baseline", "processing:version"):
        if re.fullmatch(r"\d\d\.\d\d", str(props.get(key, ""))):
            return props[key]
    for name in (props.get("s2:product_uri"), props.get("sentinel:product_id"), item.id):
        match = PRODUCT_BASELINE.search(str(name or ""))
        if match:
            return f"{match[1]}.{match[2]}"
    return None


def _sentinel2(item: pystac.Item, stated: tuple | None, source: str) -> Storage:
    applied = item.properties.get("earthsearch:boa_offset_applied") is True
    baseline = processing_baseline(item)
    if baseline is None and not applied:
        if stated is not None:
            return Storage(dtype=stated[0] or "uint16", scale=float(stated[1]), offset=float(stated[2]),
                           nodata=0.0 if stated[3] is None else float(stated[3]))
        raise InputDataError(
            f"STAC item {item.id} in {source} is a Sentinel-2 L2A product that states no processing baseline "
            "(s2:processing_baseline, processing:version, or N0xyy in its product name) and no raster:offset: its "
            "offset (-0.1 from baseline 04.00, 0 before) cannot be told; add `s2:processing_baseline` to the item's "
            "properties (the N0xyy of the product name: N0400 -> 04.00)"
        )
    scale = float(stated[1]) if stated is not None else S2_SCALE
    offset = 0.0 if applied or tuple(int(p) for p in baseline.split(".")) < FIRST_OFFSET_BASELINE else BOA_ADD_OFFSET * scale
    nodata = 0.0 if stated is None or stated[3] is None else float(stated[3])
    return Storage(dtype="uint16", scale=scale, offset=offset, nodata=nodata)


def item_storage(item: pystac.Item, assets: list[pystac.Asset], source: str) -> Storage | None:
    """The storage of the band assets: one for all, from the baseline (Sentinel-2 L2A) or the raster extension, else
    HLS's for an HLS granule (None if none applies: the sensor's or site's storage does)."""
    stated = {s for s in (_stated(item, a) for a in assets) if s is not None}
    if len(stated) > 1:
        raise InputDataError(
            f"STAC item {item.id} in {source}: its band assets state different scale/offset/nodata "
            f"{sorted(stated, key=str)}: one scene takes one storage; define one sensor per storage under the config key `sensors:`"
        )
    one = next(iter(stated), None)
    if is_sentinel2_l2a(item):
        return _sentinel2(item, one, source)
    if one is None:
        return hls.STORAGE if hls.product_of(item.id) else None
    dtype, scale, offset, nodata = one
    return Storage(dtype=dtype, scale=float(scale), offset=float(offset), nodata=None if nodata is None else float(nodata))
