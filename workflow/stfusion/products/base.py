"""What a scene is read from (:class:`Product`), and the checks of what products state against the config."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..errors import InputDataError
from ..packaged import SENSOR_DIR
from ..sensors import Storage


@dataclass(frozen=True)
class Product:
    """One scene: where its bands are, how they are stored, and its QA layer.

    ``bands`` are GDAL names (local paths, or ``/vsicurl/`` ... for remote assets) in the sensor's band
    order; empty when ``path`` is itself the multi-band raster. ``storage`` is what the product's
    metadata states (None: it states nothing, the sensor's or site's storage applies). ``series`` holds
    metadata that must agree over a site's scenes of one sensor (e.g. the processing baseline).
    """

    path: str
    family: str
    bands: tuple[str, ...] = ()
    qa: str = ""
    qa_kind: str | None = None
    storage: Storage | None = None
    series: tuple[tuple[str, str], ...] = ()
    metadata_file: str = ""
    acquired: tuple[str, str] = ()  # first and last day the pixels were observed (ISO dates); () when unstated
    platform: str = ""  # the satellite the metadata names, lower case (e.g. "landsat-8"); "" when unstated

    @property
    def files(self) -> list[str]:
        """The local files the scene is read from (what Snakemake tracks); remote assets and folders are not."""
        named = [self.metadata_file or self.path.partition("#")[0], *self.bands, self.qa]
        return sorted({f for f in named if f and not f.startswith("/vsi") and not Path(f).is_dir()})


def check_storage(product: Product, storage: Storage, sensor: str, site: str) -> None:
    """The storage a product states must be the one the pipeline applies (sensor file, or the site's override)."""
    stated = product.storage
    if stated is None:
        return
    same = (math.isclose(stated.scale, storage.scale, rel_tol=1e-6)
            and math.isclose(stated.offset, storage.offset, rel_tol=1e-6, abs_tol=1e-9)
            and (stated.nodata == storage.nodata or stated.nodata is None))
    if not same:
        raise InputDataError(
            f"{product.metadata_file or product.path} states reflectance = DN * {stated.scale:g} + {stated.offset:g} "
            f"(fill {stated.nodata}), but sensor {sensor} ({SENSOR_DIR / f'{sensor}.yaml'}, or the config key "
            f"`sites.{site}.storage.{sensor}`) has DN * {storage.scale:g} + {storage.offset:g} (fill {storage.nodata}): "
            f"if the product is right, set `sites.{site}.storage.{sensor}: {{scale: {stated.scale:g}, offset: "
            f"{stated.offset:g}, nodata: {stated.nodata}}}`; otherwise replace the product"
        )


def check_series(products: Sequence[Product], sensor: str, site: str) -> None:
    """A site's scenes of one sensor share their series metadata (one storage must fit them all)."""
    seen: dict[str, tuple[str, str]] = {}
    for product in products:
        for key, value in product.series:
            first = seen.setdefault(key, (value, product.metadata_file or product.path))
            if first[0] != value:
                raise InputDataError(
                    f"site {site}, sensor {sensor}: {first[1]} has {key} {first[0]} but "
                    f"{product.metadata_file or product.path} has {value}; the two are scaled differently and one "
                    f"series cannot mix them: use products of one {key} (reprocess or re-download the others), or "
                    "give them two sensors (a copy under the config key `sensors:`) with their own storage"
                )


def missing_file(product: str, what: str, file: str | Path, fix: str) -> InputDataError:
    """The error for a product without one of the files a sensor needs."""
    return InputDataError(f"product {product} has no {what} ({file} does not exist): {fix}")
