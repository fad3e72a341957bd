"""Export the agency spectral response tables shipped by pyrsr into ``workflow/stfusion/data/srf/<sensor>.csv``.

A maintenance tool, run by hand when a table is to be refreshed; the stfusion package never imports
it, nor pyrsr. pyrsr (PyPI, Apache-2.0, GFZ Potsdam) carries in its source distribution the relative
spectral responses (RSR) published by the agencies, one text file per band under
``pyrsr/data/<satellite>/<sensor>/band_<n>`` (a title line, then wavelength and response; Landsat
wavelengths in micrometres, the others in nanometres) with a ``reference`` file naming the origin.

For each sensor the bands are resampled by linear interpolation onto a common 1 nm grid spanning all
its bands (zero outside a band's table), negative values are clipped to 0 and each band is scaled
to a maximum of 1. The CSV has the column ``wavelength_nm`` then one column per band, named as in
the sensor's YAML file. The script prints each band's centroid and full width at half maximum,
the numbers the sensor files carry as ``centre_nm`` and ``fwhm_nm``.

Usage (from the repository root)::

    pip download --no-deps --no-binary :all: pyrsr==0.8.0 -d /tmp/pyrsr
    python workflow/stfusion/data/srf/export_pyrsr.py /tmp/pyrsr/pyrsr-0.8.0.tar.gz
"""
from __future__ import annotations

import argparse
import io
import tarfile
from pathlib import Path

import numpy as np

OUT_DIR = Path(__file__).resolve().parent

# sensor file stem -> (pyrsr data folder, {band name in stfusion: pyrsr band file suffix})
SENSORS: dict[str, tuple[str, dict[str, str]]] = {
    "landsat8_oli": ("Landsat-8/OLI_TIRS", {f"B{i}": str(i) for i in range(1, 8)}),
    "landsat7_etm": ("Landsat-7/ETM+", {f"B{i}": str(i) for i in (1, 2, 3, 4, 5, 7)}),
    "landsat5_tm": ("Landsat-5/TM", {f"B{i}": str(i) for i in (1, 2, 3, 4, 5, 7)}),
    "modis": ("Terra/MODIS", {f"B{i}": str(i) for i in range(1, 8)}),  # native MODIS band numbers
    "sentinel2_msi": (
        "Sentinel-2A/MSI",
        {b: b[1:] for b in ("B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B8A", "B11", "B12")},
    ),
}


def read_band(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Wavelength (nm, ascending) and response of one pyrsr band file."""
    table = np.loadtxt(io.StringIO(text), skiprows=1, ndmin=2)
    wavelength, response = table[:, 0], table[:, 1]
    if wavelength.max() < 100.0:  # micrometres (the Landsat files)
        wavelength = wavelength * 1000.0
    order = np.argsort(wavelength)
    return wavelength[order], response[order]


def centroid_and_fwhm(wavelength: np.ndarray, response: np.ndarray) -> tuple[float, float]:
    """Response-weighted mean wavelength, and the distance between the outermost half-maximum crossings."""
    centroid = float((wavelength * response).sum() / response.sum())
    half = response.max() / 2.0
    above = np.flatnonzero(response >= half)
    lo, hi = above[0], above[-1]
    left = wavelength[lo] if lo == 0 else np.interp(half, response[lo - 1 : lo + 1], wavelength[lo - 1 : lo + 1])
    right = (
        wavelength[hi]
        if hi == len(response) - 1
        else np.interp(half, response[hi : hi + 2][::-1], wavelength[hi : hi + 2][::-1])
    )
    return centroid, float(right - left)


def export(sdist: Path) -> None:
    """Write one CSV per sensor in SENSORS from the pyrsr source distribution ``sdist``."""
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/pyrsr/data/", 1)[-1]: m for m in tar.getmembers() if "/pyrsr/data/" in m.name}

        def text(name: str) -> str:
            return tar.extractfile(members[name]).read().decode()

        for sensor, (folder, bands) in SENSORS.items():
            curves = {name: read_band(text(f"{folder}/band_{suffix}")) for name, suffix in bands.items()}
            grid = np.arange(
                np.floor(min(w[0] for w, _ in curves.values())), np.ceil(max(w[-1] for w, _ in curves.values())) + 1.0
            )
            columns = []
            for name, (wavelength, response) in curves.items():
                resampled = np.clip(np.interp(grid, wavelength, response, left=0.0, right=0.0), 0.0, None)
                resampled /= resampled.max()
                columns.append(resampled)
                centre, fwhm = centroid_and_fwhm(grid, resampled)
                print(f"{sensor:14s} {name:4s} centre_nm {centre:7.1f} fwhm_nm {fwhm:6.1f}")
            reference = " ".join(text(f"{folder}/reference").split())
            print(f"{sensor:14s} source: {reference}")
            np.savetxt(
                OUT_DIR / f"{sensor}.csv",
                np.column_stack([grid, *columns]),
                fmt=["%d"] + ["%.4g"] * len(columns),
                delimiter=",",
                header=",".join(["wavelength_nm", *bands]),
                comments="",
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sdist", type=Path, help="pyrsr source distribution (.tar.gz)")
    export(parser.parse_args().sdist)


if __name__ == "__main__":
    main()
