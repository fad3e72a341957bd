"""What a scene is read from (:class:`Product`), and the checks of what products state against the config."""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..errors import InputDataError
from ..sensors import Sensor, Storage, platform_name, registry_definition, sensor_names


@dataclass(frozen=True)
class Product:
    """One scene: where its bands are, how they are stored, and its QA layer.

    ``bands`` are GDAL names (local paths, or ``/vsicurl/`` ... for remote assets) in the sensor's band
    order; empty when ``path`` is itself the multi-band raster. ``storage`` is what the product's
    metadata states, applied to this scene (None: it states nothing, the sensor's or site's storage applies).
    ``series`` holds metadata that must agree over a site's scenes of one sensor (e.g. the collection).
    ``acquired`` and ``platform`` are checked against the scene table's row (:func:`check_row`).
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
        """The local files the scene is read from (what Snakemake tracks): an archive read in place is one of them;
        remote assets, members of archives, GDAL subdatasets (``HDF4_EOS:...``) and folders are not."""
        named = [self.path.partition("#")[0], self.metadata_file, *self.bands, self.qa]
        return sorted({f for f in named if f and not f.startswith("/vsi") and not re.match(r"[A-Z0-9_]+:", f)
                       and not Path(f).is_dir()})


def check_storage(product: Product, storage: Storage, sensor: str, site: str) -> None:
    """The storage a product states must be the one the config key ``sites.<site>.storage.<sensor>`` imposes."""
    stated = product.storage
    if stated is None:
        return
    same = (math.isclose(stated.scale, storage.scale, rel_tol=1e-6)
            and math.isclose(stated.offset, storage.offset, rel_tol=1e-6, abs_tol=1e-9)
            and (stated.nodata == storage.nodata or stated.nodata is None))
    if not same:
        raise InputDataError(
            f"{product.metadata_file or product.path} states reflectance = DN * {stated.scale:g} + {stated.offset:g} "
            f"(fill {stated.nodata}), but the config key `sites.{site}.storage.{sensor}` imposes DN * "
            f"{storage.scale:g} + {storage.offset:g} (fill {storage.nodata}) on every {sensor} scene of the site: remove "
            f"the key (each product's own storage is then applied to its scene), or replace the product"
        )


def check_row(product: Product, date: str, sensor: Sensor, site: str) -> None:
    """The product is the row's scene: its acquisition date is the row's date (a composite's period holds it), and
    its satellite is one of the sensor's ``platforms``."""
    where = product.metadata_file or product.path
    if product.acquired and not product.acquired[0] <= date <= product.acquired[-1]:
        stated = product.acquired[0] if product.acquired[0] == product.acquired[-1] else " to ".join(product.acquired)
        raise InputDataError(
            f"{where} was acquired {stated}, but its row in the scene table (site {site}, sensor {sensor.name}) has "
            f"date {date}: correct the row's date to {product.acquired[0]}, or name the product of {date} in the row"
        )
    if product.platform and sensor.platforms and product.platform not in sensor.platforms:
        readers = [name for name in sensor_names() if product.platform in
                   {platform_name(p) for p in registry_definition(name)[0].get("platforms", ())}]
        raise InputDataError(
            f"{where} is a product of {product.platform}, but its row in the scene table (site {site}) has sensor "
            f"{sensor.name}, which reads {', '.join(sensor.platforms)}: give the row the sensor of {product.platform} "
            f"({' or '.join(readers) or 'one defined under the config key `sensors:` with `platforms: [' + product.platform + ']`'}), "
            f"or name a {sensor.name} product in the row"
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


def doy_period(year: str, doy: str, days: int = 1) -> tuple[str, str]:
    """The ISO first and last day of a period of ``days`` days from day of year ``doy`` of ``year`` (YYYYDDD names)."""
    first = dt.date(int(year), 1, 1) + dt.timedelta(days=int(doy) - 1)
    return first.isoformat(), (first + dt.timedelta(days=days - 1)).isoformat()


def missing_file(product: str, what: str, file: str | Path, fix: str) -> InputDataError:
    """The error for a product without one of the files a sensor needs."""
    return InputDataError(f"product {product} has no {what} ({file} does not exist): {fix}")
