"""The images of one date, truth and every method side by side: RGB composites on the truth's stretch,
absolute-error maps and NDVI maps on one colour scale each, and truth-vs-prediction density scatters."""
from __future__ import annotations

import numpy as np

from . import figures
from .experiments import Images
from .markup import figure, note
from .rendering import absolute_error, composite_bands, ndvi_map, percentile_limits, red_nir_bands, stretch


def comparison_html(images: Images) -> str:
    """The four figures of a date, with captions that state the bands and scales."""
    return "".join([_composites(images), _errors(images), _ndvi(images), _scatters(images)])


def _nm(images: Images, bands: list[int]) -> str:
    return "/".join(f"{images.centres_nm[b]:.0f}" for b in bands) + " nm"


def _composites(images: Images) -> str:
    bands, name = composite_bands(images.centres_nm)
    lower, upper = percentile_limits(images.truth[bands])
    pictures = {"truth": stretch(images.truth[bands], lower, upper)}
    pictures.update({m: stretch(p[bands], lower, upper) for m, p in images.predictions.items()})
    return figure(figures.composites(pictures), f"{name[0].upper()}{name[1:]} composites of {images.date} (bands at {_nm(images, bands)}); "
                  "every panel on the same stretch: per band, the truth's 2nd to 98th percentile.")


def _errors(images: Images) -> str:
    errors = {m: absolute_error(images.truth, p) for m, p in images.predictions.items()}
    upper = float(np.nanpercentile(np.stack(list(errors.values())), 99))
    return figure(figures.scalar_maps(errors, "magma", (0.0, upper), "mean |prediction - truth| over bands"),
                  f"Absolute error of {images.date}, averaged over the bands; one colour scale for every method "
                  "(0 to the 99th percentile of all methods' errors).")


def _ndvi(images: Images) -> str:
    bands = red_nir_bands(images.centres_nm)
    if bands is None:
        return note("No NDVI maps: the bands have no red (near 650 nm) and NIR (near 850 nm) pair.")
    maps = {"truth": ndvi_map(images.truth, bands)}
    maps.update({m: ndvi_map(p, bands) for m, p in images.predictions.items()})
    lower, upper = np.nanpercentile(maps["truth"], [2, 98])
    return figure(figures.scalar_maps(maps, "RdYlGn", (float(lower), float(upper)), "NDVI"),
                  f"NDVI of {images.date} from the bands at {_nm(images, list(bands))} (red/NIR); one colour scale: "
                  "the truth's 2nd to 98th percentile.")


def _scatters(images: Images) -> str:
    return figure(figures.density_scatters(images.truth, images.predictions),
                  f"Prediction against truth on {images.date}, every band and pixel: 2-D histograms on one log colour "
                  "scale, with the 1:1 line.")
