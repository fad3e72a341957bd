"""Demo landscape (crop fields, grassland, forest, water, bare soil, town) and its reflectance.

Geometry is drawn in metres from the seed and the ground extent (shape x pixel size) only, and
sampled at pixel centres: two grids covering the same ground with the same seed show the same
landscape at their own resolutions. Fields are 150-800 m strips of a rotated, slightly warped road
grid, i.e. many 30 m pixels each but mixed inside a 480 m MODIS pixel.

The surface reflectance is a linear mixture of the endmembers of `spectra.py`; the fractions of
green and senescent vegetation follow per-crop double-logistic phenology.
"""
from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .spectra import ENDMEMBER_NAMES, endmember_spectra

CLASS_NAMES = ("cropland", "grassland", "forest", "water", "bare_soil", "built_up", "road")
CROPLAND, GRASSLAND, FOREST, WATER, BARE_SOIL, BUILT_UP, ROAD = range(len(CLASS_NAMES))

CROP_NAMES = ("winter_wheat", "maize", "soybean", "rice", "wheat_maize")
URBAN_MATERIALS = ("roof_tile", "concrete_roof", "paved_yard", "tree")

# What a parcel of the road grid becomes (crops, or a non-crop parcel), far from / near the river.
_PARCEL_TYPES = CROP_NAMES + ("grassland", "bare_soil")
_PARCEL_WEIGHTS_FAR = np.array([0.20, 0.20, 0.14, 0.03, 0.27, 0.10, 0.06])
_PARCEL_WEIGHTS_NEAR_RIVER = np.array([0.12, 0.12, 0.10, 0.40, 0.14, 0.08, 0.04])
_RICE_RIVER_DISTANCE_M = 1200.0
_FARM_ROAD_HALF_WIDTH_M = 5.0
_RIVER_HALF_WIDTH_M = 35.0
_RIPARIAN_STRIP_M = 40.0
_STREET_SPACING_M, _STREET_WIDTH_M = 110.0, 12.0
_URBAN_CELL_M = 20.0


@dataclass(frozen=True)
class Season:
    """One growing season as a product double logistic (days of year of the inflection points).

    green(t) = amplitude * [w + (1 - w) L(t; green_up, rate_up)] * [1 - L(t; senescence, rate_down)]
    with L the logistic 1 / (1 + exp(-rate (t - t0))): the Beck et al. (2006) double logistic
    (also TIMESAT's, Joensson & Eklundh 2004), written as a product so that the winter value w
    of an autumn-sown crop holds only before the spring green-up. Standing biomass follows the
    same curve with `harvest` instead of `senescence`; standing minus green is senescent (dry)
    canopy, and after harvest a `stubble` cover of residue stays until `stubble_until`.
    `flood` is the (start, end) of paddy flooding, when the soil background is open water.
    """

    green_up: float
    senescence: float
    harvest: float
    amplitude: float
    rate_up: float = 0.1
    rate_down: float = 0.1
    winter_green: float = 0.0
    stubble: float = 0.0
    stubble_until: float = math.inf
    flood: tuple[float, float] | None = None


_HARVEST_RATE = 0.5  # per day: a field is cut within a few days

# North-China-Plain-like calendars; inflection DOYs, so sowing is ~2-4 weeks before green_up.
CROP_SEASONS: dict[str, tuple[Season, ...]] = {
    "winter_wheat": (
        Season(80, 148, 162, 0.97, rate_up=0.09, rate_down=0.15, winter_green=0.25,
               stubble=0.25, stubble_until=250),
    ),
    "maize": (Season(188, 252, 275, 0.97, rate_up=0.10, rate_down=0.09, stubble=0.30),),
    "soybean": (Season(192, 255, 278, 0.95, rate_up=0.09, rate_down=0.11, stubble=0.15),),
    "rice": (
        Season(178, 250, 268, 0.95, rate_up=0.09, rate_down=0.10, stubble=0.20, flood=(130, 235)),
    ),
    "wheat_maize": (
        Season(78, 145, 158, 0.97, rate_up=0.09, rate_down=0.15, winter_green=0.25,
               stubble=0.30, stubble_until=205),
        Season(200, 262, 282, 0.93, rate_up=0.11, rate_down=0.10, stubble=0.30),
    ),
}
GRASSLAND_SEASON = Season(105, 275, math.inf, 0.70, rate_up=0.07, rate_down=0.06, winter_green=0.10)
DECIDUOUS_SEASON = Season(110, 285, math.inf, 1.0, rate_up=0.12, rate_down=0.10)


@dataclass
class Landscape:
    """Static layout of the demo site; all arrays are (H, W) on the pixel grid.

    cover: index into class_names; field_id: crop field (0 elsewhere), with field_crop naming its
    crop and field_shift_days / field_amplitude perturbing its calendar and peak cover;
    date_shift_days: smooth local shift of all phenology; vigour: within-field canopy density
    factor (~1); soil_brightness: soil albedo factor (~1); soil_moisture: 0..1 baseline;
    brightness: fine texture factor applied to all reflectances (~1); urban_material: index into
    URBAN_MATERIALS on built-up pixels, -1 elsewhere.
    """

    cover: np.ndarray
    field_id: np.ndarray
    field_crop: dict[int, str]
    field_shift_days: dict[int, float]
    field_amplitude: dict[int, float]
    date_shift_days: np.ndarray
    vigour: np.ndarray
    soil_brightness: np.ndarray
    soil_moisture: np.ndarray
    brightness: np.ndarray
    urban_material: np.ndarray
    pixel_size_m: float
    seed: int
    class_names: tuple[str, ...] = CLASS_NAMES


# ----------------------------------------------------------------------------- random fields


def _rng(seed: int, component: str) -> np.random.Generator:
    """Independent stream per landscape component, so components do not shift each other's draws."""
    return np.random.default_rng([seed, zlib.crc32(component.encode())])


def smooth_noise(
    shape: tuple[int, int], pixel_size_m: float, sigma_m: float, rng: np.random.Generator
) -> np.ndarray:
    """Zero-mean, unit-variance Gaussian random field with a Gaussian kernel of sigma_m metres.

    White noise on a lattice of spacing sigma_m / 3 covering the ground extent is Gaussian
    filtered, then sampled bilinearly at the pixel centres: the field depends on the extent and
    the rng, not on the pixel size.
    """
    spacing, margin = sigma_m / 3.0, 10
    nodes = [int(math.ceil(n * pixel_size_m / spacing - 1e-6)) + 2 * margin + 1 for n in shape]
    lattice = ndimage.gaussian_filter(rng.standard_normal(nodes), sigma=3.0, mode="wrap")
    lattice = (lattice - lattice.mean()) / lattice.std()
    rows = (np.arange(shape[0]) + 0.5) * pixel_size_m / spacing + margin
    cols = (np.arange(shape[1]) + 0.5) * pixel_size_m / spacing + margin
    coords = np.meshgrid(rows, cols, indexing="ij")
    return ndimage.map_coordinates(lattice, coords, order=1).astype(np.float32)


# ----------------------------------------------------------------------------- geometry


def _rotate(x: np.ndarray, y: np.ndarray, angle_rad: float) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in a frame rotated by angle_rad."""
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return x * c + y * s, -x * s + y * c


def _random_edges(rng: np.random.Generator, lo: float, hi: float, wmin: float, wmax: float) -> np.ndarray:
    """Increasing edges from below lo to beyond hi with gaps drawn uniformly in [wmin, wmax]."""
    count = int(math.ceil((hi - lo + wmax) / wmin)) + 1
    start = lo - rng.uniform(0.0, wmax)
    return start + np.concatenate([[0.0], np.cumsum(rng.uniform(wmin, wmax, count))])


@dataclass(frozen=True)
class _Meander:
    """River centreline: two sinusoids across a frame rotated by `angle` about `centre` (x, y)."""

    centre: tuple[float, float]
    angle: float
    amplitudes: tuple[float, float]
    wavelengths: tuple[float, float]
    phases: tuple[float, float]

    def distance(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Approximate distance (m) to the centreline: |q - q_c(p)| / sqrt(1 + q_c'(p)^2)."""
        p, q = _rotate(x - self.centre[0], y - self.centre[1], self.angle)
        qc, slope = np.zeros_like(p), np.zeros_like(p)
        for a, lam, phi in zip(self.amplitudes, self.wavelengths, self.phases, strict=True):
            k = 2.0 * math.pi / lam
            qc += a * np.sin(k * p + phi)
            slope += a * k * np.cos(k * p + phi)
        return np.abs(q - qc) / np.sqrt(1.0 + slope**2)


def _draw_meander(rng: np.random.Generator, extent: tuple[float, float]) -> _Meander:
    """A river crossing the scene through its middle 60 %, in any direction."""
    size = max(extent)
    centre = tuple(e * rng.uniform(0.3, 0.7) for e in extent)
    return _Meander(
        centre=(centre[1], centre[0]),
        angle=rng.uniform(0.0, math.pi),
        amplitudes=(0.06 * size, 0.02 * size),
        wavelengths=(0.8 * size, 0.3 * size),
        phases=tuple(rng.uniform(0.0, 2.0 * math.pi, 2)),
    )


def _blob(
    x: np.ndarray, y: np.ndarray, centre: tuple[float, float], radii: tuple[float, float],
    angle: float, edge_noise: np.ndarray,
) -> np.ndarray:
    """Ellipse around centre (x, y) whose boundary radius is modulated by (1 + edge_noise)."""
    u, v = _rotate(x - centre[0], y - centre[1], angle)
    return np.hypot(u / radii[0], v / radii[1]) < 1.0 + edge_noise


def _pick_site(
    rng: np.random.Generator,
    extent: tuple[float, float],
    score: Callable[[float, float], float],
    candidates: int = 8,
) -> tuple[float, float]:
    """The candidate (x, y) in the inner 70 % of the scene with the highest score(x, y)."""
    xs = rng.uniform(0.15, 0.85, candidates) * extent[1]
    ys = rng.uniform(0.15, 0.85, candidates) * extent[0]
    best = int(np.argmax([score(x, y) for x, y in zip(xs, ys, strict=True)]))
    return float(xs[best]), float(ys[best])


@dataclass(frozen=True)
class _Parcels:
    """Road-grid parcels: parcel index per pixel, road mask, grid frame coordinates."""

    index: np.ndarray
    road: np.ndarray
    u: np.ndarray
    v: np.ndarray
    frame_origin: tuple[float, float]  # (u, v) below every pixel, from the extent only
    centres_xy: np.ndarray  # (n_parcels, 2): centre of each parcel's block


def _parcel_grid(
    rng: np.random.Generator, x: np.ndarray, y: np.ndarray, extent: tuple[float, float],
    warp: tuple[np.ndarray, np.ndarray],
) -> _Parcels:
    """Rotated road grid (blocks 350-800 x 300-650 m), each block cut into 1-3 parallel strips."""
    angle = math.radians(rng.uniform(-12.0, 12.0))
    u, v = _rotate(x, y, angle)
    u, v = u + warp[0], v + warp[1]
    corners_u, corners_v = _rotate(np.array([0, extent[1], 0, extent[1]]),
                                   np.array([0, 0, extent[0], extent[0]]), angle)
    u_edges = _random_edges(rng, corners_u.min() - 100, corners_u.max() + 100, 350, 800)
    v_edges = _random_edges(rng, corners_v.min() - 100, corners_v.max() + 100, 300, 650)
    nu, nv = len(u_edges) - 1, len(v_edges) - 1
    strips = rng.choice([1, 2, 3], size=(nu, nv), p=[0.3, 0.45, 0.25])
    along_u = rng.random((nu, nv)) < 0.5

    bu = np.clip(np.searchsorted(u_edges, u, side="right") - 1, 0, nu - 1)
    bv = np.clip(np.searchsorted(v_edges, v, side="right") - 1, 0, nv - 1)
    fu = (u - u_edges[bu]) / (u_edges[bu + 1] - u_edges[bu])
    fv = (v - v_edges[bv]) / (v_edges[bv + 1] - v_edges[bv])
    k = strips[bu, bv]
    strip = np.minimum((np.where(along_u[bu, bv], fu, fv) * k).astype(int), k - 1)
    index = (bu * nv + bv) * 3 + strip

    du = np.minimum(u - u_edges[bu], u_edges[bu + 1] - u)
    dv = np.minimum(v - v_edges[bv], v_edges[bv + 1] - v)
    road = np.minimum(du, dv) < _FARM_ROAD_HALF_WIDTH_M

    uc, vc = np.meshgrid(0.5 * (u_edges[:-1] + u_edges[1:]), 0.5 * (v_edges[:-1] + v_edges[1:]),
                         indexing="ij")
    xc, yc = _rotate(uc.ravel(), vc.ravel(), -angle)
    centres = np.repeat(np.stack([xc, yc], axis=1), 3, axis=0)
    origin = (float(corners_u.min()) - 300.0, float(corners_v.min()) - 300.0)
    return _Parcels(index, road, u, v, origin, centres)


def _assign_parcels(rng: np.random.Generator, centres_xy: np.ndarray, river: _Meander) -> np.ndarray:
    """Index into _PARCEL_TYPES per parcel; paddy rice is likelier near the river."""
    near = river.distance(centres_xy[:, 0], centres_xy[:, 1]) < _RICE_RIVER_DISTANCE_M
    draw = rng.random(len(centres_xy))
    far_type = np.searchsorted(np.cumsum(_PARCEL_WEIGHTS_FAR), draw * _PARCEL_WEIGHTS_FAR.sum())
    near_type = np.searchsorted(np.cumsum(_PARCEL_WEIGHTS_NEAR_RIVER),
                                draw * _PARCEL_WEIGHTS_NEAR_RIVER.sum())
    return np.where(near, near_type, far_type)


def _paint_settlement(cover: np.ndarray, inside: np.ndarray, parcels: _Parcels) -> None:
    """Built-up blocks with a street grid aligned to the farm roads, inside `inside`."""
    street = ((parcels.u % _STREET_SPACING_M) < _STREET_WIDTH_M) | (
        (parcels.v % _STREET_SPACING_M) < _STREET_WIDTH_M
    )
    cover[inside] = BUILT_UP
    cover[inside & street] = ROAD


def _urban_materials(
    rng: np.random.Generator, parcels: _Parcels, cover: np.ndarray, extent_diagonal: float
) -> np.ndarray:
    """Material per 20 m building cell (aligned with the streets) on built-up pixels, -1 elsewhere."""
    u0, v0 = parcels.frame_origin
    cells = int(math.ceil(2.0 * (extent_diagonal + 300.0) / _URBAN_CELL_M))
    lattice = rng.choice(len(URBAN_MATERIALS), size=(cells, cells), p=[0.35, 0.30, 0.20, 0.15])
    iu = np.clip(((parcels.u - u0) // _URBAN_CELL_M).astype(int), 0, cells - 1)
    iv = np.clip(((parcels.v - v0) // _URBAN_CELL_M).astype(int), 0, cells - 1)
    return np.where(cover == BUILT_UP, lattice[iu, iv], -1).astype(np.int8)


# ----------------------------------------------------------------------------- landscape


def _textures(noise: Callable[[str, float], np.ndarray]) -> dict[str, np.ndarray]:
    """Smooth per-pixel factors from noise(name, sigma_m)."""
    return {
        "date_shift_days": 3.0 * noise("date_shift", 400.0),
        "vigour": 1.0 + 0.07 * noise("vigour_fine", 40.0) + 0.05 * noise("vigour_coarse", 150.0),
        "soil_brightness": 1.0 + 0.08 * noise("soil_coarse", 120.0) + 0.03 * noise("soil_fine", 25.0),
        "soil_moisture": np.clip(0.35 + 0.15 * noise("moisture", 500.0), 0.0, 1.0),
        "brightness": 1.0 + 0.02 * noise("brightness", 20.0),
    }


def make_landscape(shape: tuple[int, int], pixel_size_m: float, seed: int) -> Landscape:
    """Draw the demo site for a grid of `shape` pixels of `pixel_size_m` metres.

    Painted in order: road-grid parcels (crops, grassland, bare fallow) and farm roads,
    bare-soil patches (construction, quarry), a forest on one side of the scene, a lake, a
    meandering river with grassy banks, a town and two villages.
    """
    h, w = shape
    extent = (h * pixel_size_m, w * pixel_size_m)
    y, x = np.meshgrid((np.arange(h) + 0.5) * pixel_size_m, (np.arange(w) + 0.5) * pixel_size_m,
                       indexing="ij")

    def noise(name: str, sigma_m: float) -> np.ndarray:
        return smooth_noise(shape, pixel_size_m, sigma_m, _rng(seed, name))

    river = _draw_meander(_rng(seed, "river"), extent)
    warp = (30.0 * noise("warp_u", 1500.0), 30.0 * noise("warp_v", 1500.0))
    parcels = _parcel_grid(_rng(seed, "parcels"), x, y, extent, warp)
    parcel_types = _assign_parcels(_rng(seed, "crops"), parcels.centres_xy, river)
    parcel_type = parcel_types[parcels.index]

    cover = np.full(shape, CROPLAND, dtype=np.int8)
    cover[parcel_type == _PARCEL_TYPES.index("grassland")] = GRASSLAND
    cover[parcel_type == _PARCEL_TYPES.index("bare_soil")] = BARE_SOIL
    cover[parcels.road] = ROAD

    size = max(extent)
    rng = _rng(seed, "patches")
    radius = min(max(0.03 * size, 120.0), 250.0)
    for _ in range(2):
        centre = (rng.uniform(0.1, 0.9) * extent[1], rng.uniform(0.1, 0.9) * extent[0])
        cover[_blob(x, y, centre, (radius, 0.7 * radius), rng.uniform(0, math.pi),
                    0.2 * noise("patch_edge", 40.0))] = BARE_SOIL

    rng = _rng(seed, "forest")
    direction = rng.uniform(0.0, 2.0 * math.pi)
    ramp = ((x / extent[1] - 0.5) * math.cos(direction) + (y / extent[0] - 0.5) * math.sin(direction))
    score = noise("forest_noise", 600.0) + 4.0 * ramp
    cover[score > np.quantile(score, 0.88)] = FOREST

    rng = _rng(seed, "lake")
    lake_radius = rng.uniform(0.05, 0.08) * size
    lake_centre = _pick_site(rng, extent, lambda cx, cy: river.distance(np.array(cx), np.array(cy)))
    cover[_blob(x, y, lake_centre, (lake_radius, lake_radius * rng.uniform(0.5, 0.8)),
                rng.uniform(0, math.pi), 0.2 * noise("lake_edge", 150.0))] = WATER

    river_distance = river.distance(x, y)
    cover[river_distance < _RIVER_HALF_WIDTH_M + _RIPARIAN_STRIP_M] = GRASSLAND
    cover[river_distance < _RIVER_HALF_WIDTH_M] = WATER

    rng = _rng(seed, "settlements")
    sites: list[tuple[float, float]] = [lake_centre]
    village_radius = min(max(0.025 * size, 120.0), 250.0)
    for number, radius in enumerate((min(max(0.1 * size, 300.0), 1000.0), village_radius, village_radius)):
        def clearance(cx: float, cy: float) -> float:
            others = min(math.hypot(cx - sx, cy - sy) for sx, sy in sites)
            return min(others - lake_radius, float(river.distance(np.array(cx), np.array(cy))))

        centre = _pick_site(rng, extent, clearance)
        sites.append(centre)
        inside = _blob(x, y, centre, (radius, radius), 0.0, 0.15 * noise(f"settlement_edge_{number}", 80.0))
        _paint_settlement(cover, inside, parcels)

    field_id = np.where(cover == CROPLAND, parcels.index + 1, 0).astype(np.int32)
    present = np.unique(field_id[field_id > 0])
    rng = _rng(seed, "field_calendar")
    n_parcels = len(parcels.centres_xy)
    shifts = np.clip(rng.normal(0.0, 5.0, n_parcels), -12.0, 12.0)
    amplitudes = rng.uniform(0.88, 1.04, n_parcels)
    return Landscape(
        cover=cover,
        field_id=field_id,
        field_crop={int(f): _PARCEL_TYPES[parcel_types[f - 1]] for f in present},
        field_shift_days={int(f): float(shifts[f - 1]) for f in present},
        field_amplitude={int(f): float(amplitudes[f - 1]) for f in present},
        urban_material=_urban_materials(_rng(seed, "urban"), parcels, cover, math.hypot(*extent)),
        pixel_size_m=float(pixel_size_m),
        seed=seed,
        **_textures(noise),
    )


# ----------------------------------------------------------------------------- phenology


def _logistic(t: np.ndarray, t0: float, rate: float) -> np.ndarray:
    """1 / (1 + exp(-rate (t - t0))), overflow-free; t0 = inf gives 0."""
    if math.isinf(t0):
        return np.zeros_like(t)
    return 0.5 * (1.0 + np.tanh(0.5 * rate * (t - t0)))


def season_fractions(season: Season, doy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(green, senescent, flooded) cover fractions of one Season at day(s) of year `doy`."""
    t = np.asarray(doy, dtype=np.float32)
    rise = season.winter_green + (1.0 - season.winter_green) * _logistic(t, season.green_up, season.rate_up)
    harvested = _logistic(t, season.harvest, _HARVEST_RATE)
    green = season.amplitude * rise * (1.0 - _logistic(t, season.senescence, season.rate_down))
    standing = season.amplitude * rise * (1.0 - harvested)
    residue = season.stubble * harvested * (1.0 - _logistic(t, season.stubble_until, 0.1))
    flooded = np.zeros_like(t)
    if season.flood is not None:
        flooded = _logistic(t, season.flood[0], 0.3) * (1.0 - _logistic(t, season.flood[1], 0.3))
    return green, standing - green + residue, flooded


def crop_fractions(crop: str, doy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(green, senescent, flooded) of a crop in CROP_SEASONS; double crops add their seasons."""
    states = [season_fractions(s, doy) for s in CROP_SEASONS[crop]]
    green = sum(g for g, _, _ in states)
    senescent = sum(s for _, s, _ in states)
    flooded = np.maximum.reduce([f for _, _, f in states])
    return green, senescent, flooded


# ----------------------------------------------------------------------------- reflectance

_E = {name: i for i, name in enumerate(ENDMEMBER_NAMES)}
_ROAD_MIX = {"asphalt": 0.7, "concrete": 0.1, "soil_dry": 0.2}
_URBAN_MIX = {
    "roof_tile": {"roof_tile": 0.9, "concrete": 0.1},
    "concrete_roof": {"concrete": 0.85, "asphalt": 0.15},
    "paved_yard": {"concrete": 0.4, "soil_dry": 0.4, "asphalt": 0.2},
}
_FOREST_CONIFER, _FOREST_BROADLEAF, _FOREST_SOIL = 0.55, 0.35, 0.10


def _field_lookup(values: dict[int, float], field_id: np.ndarray, default: float) -> np.ndarray:
    """Per-pixel value of a per-field dict."""
    table = np.full(int(field_id.max()) + 1, default, dtype=np.float32)
    table[list(values)] = list(values.values())
    return table[field_id]


def _vegetation_state(landscape: Landscape, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-pixel (green, senescent, flooded) on cropland and grassland; zero elsewhere."""
    green, senescent, flooded = (np.zeros(t.shape, np.float32) for _ in range(3))
    fid = landscape.field_id
    local_t = t - _field_lookup(landscape.field_shift_days, fid, 0.0)
    scale = _field_lookup(landscape.field_amplitude, fid, 1.0) * landscape.vigour
    for crop in sorted(set(landscape.field_crop.values())):
        ids = [f for f, c in landscape.field_crop.items() if c == crop]
        mask = np.isin(fid, ids)
        g, s, f = crop_fractions(crop, local_t[mask])
        green[mask], senescent[mask], flooded[mask] = g * scale[mask], s * scale[mask], f
    grass = landscape.cover == GRASSLAND
    g, s, _ = season_fractions(GRASSLAND_SEASON, t[grass])
    green[grass], senescent[grass] = g * landscape.vigour[grass], s * landscape.vigour[grass]
    total = np.maximum(green + senescent, 1.0)
    return green / total, senescent / total, flooded


def _moisture(landscape: Landscape, doy: float) -> np.ndarray:
    """Topsoil wetness 0..1: baseline map plus the July-August monsoon (Gaussian around DOY 205)."""
    rain = 0.3 * math.exp(-0.5 * ((doy - 205.0) / 30.0) ** 2) - 0.1
    return np.clip(landscape.soil_moisture + rain, 0.0, 1.0)


def endmember_fractions(landscape: Landscape, doy: float) -> np.ndarray:
    """Cover fractions (len(ENDMEMBER_NAMES), H, W) float32 of every endmember at day of year doy.

    Fractions sum to ~1 per pixel; soil fractions carry the soil-brightness factor.
    """
    cover = landscape.cover
    fractions = np.zeros((len(ENDMEMBER_NAMES),) + cover.shape, np.float32)
    t = (doy - landscape.date_shift_days).astype(np.float32)
    green, senescent, flooded = _vegetation_state(landscape, t)
    background = np.clip(1.0 - green - senescent, 0.0, 1.0)
    soil = np.zeros(cover.shape, np.float32)

    vegetated = np.isin(cover, [CROPLAND, GRASSLAND])
    fractions[_E["green_vegetation"]][vegetated] = green[vegetated]
    fractions[_E["senescent_vegetation"]][vegetated] = senescent[vegetated]
    fractions[_E["water"]][vegetated] = (background * flooded)[vegetated]
    soil[vegetated] = (background * (1.0 - flooded))[vegetated]
    soil[cover == BARE_SOIL] = 1.0

    broadleaf, _, _ = season_fractions(DECIDUOUS_SEASON, t)
    forest = cover == FOREST
    fractions[_E["conifer_forest"]][forest] = _FOREST_CONIFER * landscape.vigour[forest]
    fractions[_E["green_vegetation"]][forest] = _FOREST_BROADLEAF * broadleaf[forest]
    fractions[_E["senescent_vegetation"]][forest] = _FOREST_BROADLEAF * (1.0 - broadleaf[forest])
    soil[forest] = _FOREST_SOIL

    fractions[_E["water"]][cover == WATER] = 1.0
    for name, share in _ROAD_MIX.items():
        fractions[_E[name]][cover == ROAD] = share
    for material, mix in _URBAN_MIX.items():
        here = landscape.urban_material == URBAN_MATERIALS.index(material)
        for name, share in mix.items():
            fractions[_E[name]][here] = share
    trees = landscape.urban_material == URBAN_MATERIALS.index("tree")
    fractions[_E["green_vegetation"]][trees] = 0.8 * broadleaf[trees]
    fractions[_E["senescent_vegetation"]][trees] = 0.15
    soil[trees] = 0.85 - 0.8 * broadleaf[trees]

    soil *= landscape.soil_brightness
    wet = _moisture(landscape, doy)
    fractions[_E["soil_wet"]] += soil * wet
    fractions[_E["soil_dry"]] += soil * (1.0 - wet)
    return fractions


def reflectance_cube(landscape: Landscape, doy: float, wavelengths_nm: np.ndarray) -> np.ndarray:
    """Surface reflectance (n_wavelengths, H, W) float32 in 0..1 at day of year doy.

    Linear spectral mixture: endmember spectra (n_end, n_wl) contracted with
    endmember_fractions (n_end, H, W), times the fine brightness texture.
    """
    spectra = endmember_spectra(wavelengths_nm)
    matrix = np.stack([spectra[name] for name in ENDMEMBER_NAMES]).astype(np.float32)
    fractions = endmember_fractions(landscape, doy)
    h, w = landscape.cover.shape
    cube = (matrix.T @ fractions.reshape(len(ENDMEMBER_NAMES), h * w)).reshape(-1, h, w)
    cube *= landscape.brightness
    return np.clip(cube, 0.0, 1.0, out=cube)
