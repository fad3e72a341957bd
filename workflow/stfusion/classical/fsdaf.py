"""FSDAF, the Flexible Spatiotemporal DAta Fusion of Zhu et al. (2016), vectorised and blockwise.

Zhu, X., Helmer, E. H., Gao, F., Liu, D., Chen, J., Lefsky, M. A. (2016). A flexible spatiotemporal method for
fusing satellite images with different resolutions. Remote Sensing of Environment 172, 165-177.

F1 is the fine reference, C1 and C2 the coarse images of the reference and prediction dates, m = ratio^2 the
fine pixels of a coarse pixel. The six steps of the paper:

1. classify F1 without supervision (k-means in place of ISODATA, ``unmixing.kmeans``, fitted on a regular
   sample of the scene, seeded by ``seed``);
2. unmix the change of each class dF(c) from dC = C2 - C1 = sum_c f_c dF(c) (``unmixing.class_change``);
3. temporal prediction F2_TP = F1 + dF(c) and its residual in each coarse pixel,
   R = dC - (1/m) sum_j (F2_TP - F1);
4. spatial prediction F2_SP of C2 on the fine grid. The paper's thin-plate spline is one global surface; here
   bicubic convolution (Keys 1981), which like the spline passes through every coarse value at its pixel centre
   but depends only on the 4 x 4 nearest coarse pixels, so that blocks with a halo equal a single block;
5. residual distribution: CW = E_ho HI + E_he (1 - HI) with E_ho = F2_SP - F2_TP, E_he = R and HI the share of
   fine pixels of the central pixel's class in a window one coarse pixel wide; W = CW / sum_j CW; r = m R W.
   E_ho counts only where it has the sign of R (as in the authors' released IDL code): with mixed signs the
   sum of CW could vanish and the weights explode;
6. final prediction F2 = F1 + sum_k w_k dF_k over the n pixels of the (2 half_window + 1)^2 window most similar
   to the target in F1 (all bands within 2 sigma / n_classes, the smallest summed absolute difference), with
   dF = F2_TP + r - F1 and w_k proportional to 1 / D_k, D_k = 1 + d_k / half_window (d_k in fine pixels).

Steps 1 and 2 and the similarity thresholds are scene-wide and computed once; steps 3 to 6 run block by block,
in float64, on ``device``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..runlog import progress
from .blocks import Block, scene_blocks
from .kernels import fsdaf_similar_change, fsdaf_similar_pixels, offset_weights
from .similar import check_inputs, similarity_thresholds
from .unmixing import class_change, kmeans

KMEANS_SAMPLE = 100_000  # at most this many pixels, a regular sample of the scene, train the classes
STRIP_VALUES = 1 << 22  # fine values per strip of the scene-wide pass
KEY_BUDGET = {"cpu": 1 << 25, "cuda": 1 << 27}  # similarity keys held at once in step 6 (float64)


def fsdaf(fine_refs: np.ndarray, coarse_refs: np.ndarray, coarse_t1: np.ndarray, ratio: int, *, block: int = 512,
          device: str | torch.device = "cpu", seed: int = 0, n_classes: int = 4, half_window: int = 20,
          n_similar: int = 20, n_pure: int = 100, data_range: Sequence[float] | None = (0.0, 1.0)) -> np.ndarray:
    """The fine image at the date of ``coarse_t1``, (C, H, W) float32, NaN where it cannot be predicted.

    fine_refs (1, C, H, W) and coarse_refs (1, C, H/ratio, W/ratio): the one reference pair FSDAF uses;
    coarse_t1 (C, H/ratio, W/ratio); NaN where masked. A fine pixel is predicted when all its reference bands
    and both coarse pixels over it (all bands) are valid; only such pixels serve as similar pixels, and only
    coarse pixels whose fine pixels are all valid enter the unmixing. ``seed`` seeds the classification.

    Defaults, from the parameters at the top of the authors' released IDL code (FSDAF v1.x,
    FSDAF_preclassification.pro): ``half_window`` = 20 (w, a 41 x 41 window), ``n_similar`` = 20
    (num_similar_pixel), ``n_pure`` = 100 (num_pure, purest coarse pixels per class), ``data_range`` =
    DN_min..DN_max = 0..10000, i.e. reflectance 0..1 in this pipeline: the predictions of steps 5 and 6 are
    clipped to it (None: no clipping, for quantities such as temperature in kelvin). That release takes a
    class map made beforehand, so ``n_classes`` = 4 comes from the IDL codes that classify by ISODATA
    themselves (min_class = 4.0, the smallest class count asked of ISODATA) and from ESTARFM's num_class = 4.0
    (Zhu et al. 2010); it is also the m of the similarity threshold 2 sigma / m.
    """
    check_inputs(fine_refs, coarse_refs, coarse_t1, ratio, (1,), "FSDAF")
    state = prepare_fsdaf(fine_refs, coarse_refs, ratio, block=block, device=device, seed=seed, n_classes=n_classes,
                          half_window=half_window, n_similar=n_similar, n_pure=n_pure, data_range=data_range,
                          keep_blocks=False)  # one date: each block's shared part is used once, then dropped
    return predict_fsdaf(state, coarse_t1)


class SharedBlock(NamedTuple):
    """What steps 3 to 6 need of the fine reference alone in one block."""

    labels: Tensor             # step 1's class of every pixel of the block, -1 where unclassified
    homogeneity: Tensor        # HI of step 5
    similar: np.ndarray | None  # step 6's similar pixels of the core (``kernels.fsdaf_similar_pixels``); on a GPU None


class FsdafState(NamedTuple):
    """``prepare_fsdaf``'s result: the reference pair, the options, steps 1's classes and the class fractions of
    step 2 (None when no pixel can be classified), and each block's ``SharedBlock`` (None: made per series)."""

    fine_refs: np.ndarray
    coarse_refs: np.ndarray
    ratio: int
    block: int
    options: dict
    centres: Tensor | None
    fractions: np.ndarray | None
    complete: np.ndarray | None
    thresholds: Tensor | None
    blocks: list[SharedBlock] | None


def prepare_fsdaf(fine_refs: np.ndarray, coarse_refs: np.ndarray, ratio: int, *, block: int = 512,
                  device: str | torch.device = "cpu", seed: int = 0, n_classes: int = 4, half_window: int = 20,
                  n_similar: int = 20, n_pure: int = 100,
                  data_range: Sequence[float] | None = (0.0, 1.0), keep_blocks: bool = True) -> FsdafState:
    """FSDAF's work on the reference pair alone, once for all its dates: the classification (step 1), the class
    fractions of the coarse pixels that make the unmixing's design matrix (step 2), the homogeneity index of
    step 5 and the similar pixels of step 6, which depend on F1 only wherever the date's coarse image is
    present (Zhu et al. 2016). ``keep_blocks`` False keeps only the scene-wide part: ``predict_fsdaf_dates``
    then does each block's part once for all its dates, holding one block's at a time (every block's takes
    about 100 bytes per fine pixel). Other parameters as for ``fsdaf``."""
    check_inputs(fine_refs, coarse_refs, coarse_refs[0], ratio, (1,), "FSDAF")
    _check_parameters(n_classes, half_window, n_similar, n_pure, data_range)
    device = torch.device(device)
    options = {"device": device, "half_window": half_window, "n_similar": n_similar, "n_pure": n_pure,
               "data_range": data_range}
    fine = fine_refs[0]
    samples = class_samples(fine)
    if len(samples) == 0:
        return FsdafState(fine_refs, coarse_refs, ratio, block, options, None, None, None, None, [])
    centres = kmeans(samples, n_classes, seed)
    fractions, complete = _class_fractions(fine, centres, ratio, device)
    centres = torch.as_tensor(centres, dtype=torch.float64, device=device)
    thresholds = torch.as_tensor(similarity_thresholds(fine_refs, n_classes)[0], dtype=torch.float64, device=device)
    state = FsdafState(fine_refs, coarse_refs, ratio, block, options, centres, fractions, complete, thresholds, None)
    if not keep_blocks:
        return state
    return state._replace(blocks=[shared_block(state, b) for b in progress(fsdaf_blocks(state), "block")])


def fsdaf_blocks(state: FsdafState) -> list[Block]:
    """The blocks of the state's scene: the half window plus two coarse pixels (the bicubic step's reach) as halo."""
    return scene_blocks(*state.fine_refs.shape[-2:], state.ratio, state.options["half_window"] + 2 * state.ratio,
                        state.block)


def shared_block(state: FsdafState, b: Block) -> SharedBlock:
    """What steps 3 to 6 need of the fine reference alone in block ``b``."""
    device, ratio = state.options["device"], state.ratio
    f1 = torch.as_tensor(state.fine_refs[(0, ..., *b.window)], dtype=torch.float64, device=device)
    labels = class_map(f1, state.centres)
    c1 = torch.as_tensor(state.coarse_refs[(0, ..., *b.coarse)], dtype=torch.float64, device=device)
    similar = None
    if device.type == "cpu":
        candidates = torch.where((labels >= 0) & _to_fine(torch.isfinite(c1).all(dim=0), ratio), f1, torch.nan)
        similar = similar_pixels(candidates, state.thresholds, state.options["half_window"],
                                 state.options["n_similar"], b.inner)
    return SharedBlock(labels, homogeneity_index(labels, len(state.centres), ratio), similar)


def predict_fsdaf(state: FsdafState, coarse_t1: np.ndarray) -> np.ndarray:
    """The fine image at the date of ``coarse_t1`` (C, H / ratio, W / ratio) from ``prepare_fsdaf``'s state: the
    unmixing of step 2 with this date's coarse change, then steps 3 to 6 block by block. Equal to ``fsdaf``."""
    check_inputs(state.fine_refs, state.coarse_refs, coarse_t1, state.ratio, (1,), "FSDAF")
    return predict_fsdaf_dates(state, coarse_t1[None])[0]


def predict_fsdaf_dates(state: FsdafState, coarse_dates: np.ndarray, out=None):
    """The fine images (n, C, H, W) of n dates, ``coarse_dates`` (n, C, H / ratio, W / ratio): each date's unmixing
    (step 2), then block by block steps 3 to 6 of every date from the block's shared part (the state's, or made
    once here for all the dates). Each date equals its ``predict_fsdaf``. ``out`` as for
    ``blocks.predict_in_blocks``."""
    fine_refs, coarse_refs, ratio = state.fine_refs, state.coarse_refs, state.ratio
    if coarse_dates.ndim != 4:
        raise ValueError(f"FSDAF: coarse_dates must be (n, C, H/ratio, W/ratio); got shape {coarse_dates.shape}")
    check_inputs(fine_refs, coarse_refs, coarse_dates[0], ratio, (1,), "FSDAF")
    if out is None:
        out = np.empty((len(coarse_dates), *fine_refs.shape[1:]), np.float32)
    options = dict(state.options)
    device, n_pure = options.pop("device"), options.pop("n_pure")
    changes = []
    for date, coarse_t1 in enumerate(coarse_dates):
        coarse_change = coarse_t1.astype(np.float64) - coarse_refs[0]
        if state.centres is None or not np.isfinite(coarse_change).all(axis=0).any():
            out[date] = np.full(fine_refs.shape[1:], np.nan, np.float32)
            changes.append(None)
            continue
        eligible = state.complete & np.isfinite(coarse_change).all(axis=0)
        changes.append(torch.as_tensor(class_change(state.fractions, eligible, coarse_change, n_pure),
                                       dtype=torch.float64, device=device))
    if all(change is None for change in changes):
        return out
    for index, b in enumerate(progress(fsdaf_blocks(state), "block")):
        shared = shared_block(state, b) if state.blocks is None else state.blocks[index]
        for date, change in enumerate(changes):
            if change is not None:
                out[(date, ..., *b.core)] = predict_window(
                    fine_refs[(0, ..., *b.window)], coarse_refs[(0, ..., *b.coarse)],
                    coarse_dates[(date, ..., *b.coarse)], b.inner, shared, ratio=ratio, centres=state.centres,
                    change=change, thresholds=state.thresholds, **options)
    return out


def _check_parameters(n_classes: int, half_window: int, n_similar: int, n_pure: int,
                      data_range: Sequence[float] | None) -> None:
    for name, value in (("n_classes", n_classes), ("half_window", half_window), ("n_similar", n_similar),
                        ("n_pure", n_pure)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"FSDAF: {name} must be a positive integer; got {value!r}")
    if data_range is not None and (len(data_range) != 2 or not data_range[0] < data_range[1]):
        raise ValueError(f"FSDAF: data_range must be [lowest, highest] with lowest < highest, or None; "
                         f"got {data_range!r}")


def class_samples(fine: np.ndarray) -> np.ndarray:
    """The pixels step 1 fits the classes on: the valid ones (N, C) of a regular sample of at most KMEANS_SAMPLE
    pixels of ``fine`` (C, H, W)."""
    flat = fine.reshape(len(fine), -1)
    sample = flat[:, :: max(1, math.ceil(flat.shape[1] / KMEANS_SAMPLE))].T.astype(np.float64)
    return sample[np.isfinite(sample).all(axis=1)]


def class_map(fine: Tensor, centres: Tensor) -> Tensor:
    """Nearest class centre of each pixel of ``fine`` (C, h, w), -1 where a band is NaN.

    Squared distances are summed band by band, pixel by pixel, so a pixel gets the same class in any block.
    """
    best = torch.full(fine.shape[1:], torch.inf, dtype=fine.dtype, device=fine.device)
    labels = torch.zeros(fine.shape[1:], dtype=torch.long, device=fine.device)
    for index, centre in enumerate(centres):
        distance = (fine[0] - centre[0]) ** 2
        for band in range(1, len(fine)):
            distance += (fine[band] - centre[band]) ** 2
        closer = distance < best
        labels[closer] = index
        best = torch.where(closer, distance, best)
    return torch.where(torch.isfinite(fine).all(dim=0), labels, -1)


def _class_fractions(fine: np.ndarray, centres: np.ndarray, ratio: int,
                     device: torch.device) -> tuple[np.ndarray, np.ndarray]:
    """f_c of every coarse pixel (n_classes, H/ratio, W/ratio), and where all its fine pixels are classified.

    The scene is classified in strips of whole coarse rows, so memory stays bounded.
    """
    channels, height, width = fine.shape
    fractions = np.zeros((len(centres), height // ratio, width // ratio))
    complete = np.zeros((height // ratio, width // ratio), bool)
    rows = max(ratio, STRIP_VALUES // (channels * width) // ratio * ratio)
    centres = torch.as_tensor(centres, device=device)
    for top in range(0, height, rows):
        labels = class_map(torch.as_tensor(fine[:, top : top + rows], dtype=torch.float64, device=device), centres)
        strip = slice(top // ratio, (top + labels.shape[0]) // ratio)
        for index in range(len(centres)):
            fractions[index, strip] = (coarse_sum(labels == index, ratio) / ratio**2).cpu().numpy()
        complete[strip] = (coarse_sum(labels >= 0, ratio) == ratio**2).cpu().numpy()
    return fractions, complete


def coarse_sum(values: Tensor, ratio: int) -> Tensor:
    """Sum over each coarse pixel's ratio x ratio fine pixels (last two axes), in float64."""
    *lead, height, width = values.shape
    return values.double().reshape(*lead, height // ratio, ratio, width // ratio, ratio).sum(dim=(-3, -1))


def _to_fine(values: Tensor, ratio: int) -> Tensor:
    return values.repeat_interleave(ratio, dim=-2).repeat_interleave(ratio, dim=-1)


def predict_window(fine: np.ndarray, coarse_ref: np.ndarray, coarse_t1: np.ndarray, core: tuple[slice, slice],
                   shared: SharedBlock, *, ratio: int, centres: Tensor, change: Tensor, thresholds: Tensor,
                   half_window: int, n_similar: int, data_range: Sequence[float] | None) -> np.ndarray:
    """Steps 3 to 6 on one window: fine (C, h, w), coarse_ref and coarse_t1 (C, h/ratio, w/ratio) -> the
    prediction of the ``core`` (rows, cols) of the window (C, ., .).

    ``centres`` (n_classes, C), the class changes ``change`` (n_classes, C) and the similarity ``thresholds``
    (C,) are the scene-wide results of steps 1 and 2, float64 tensors on the device of the computation;
    ``shared`` the window's results of ``prepare_fsdaf``.
    """
    device = centres.device
    f1 = torch.as_tensor(fine, dtype=torch.float64, device=device)
    c1 = torch.as_tensor(coarse_ref, dtype=torch.float64, device=device)
    c2 = torch.as_tensor(coarse_t1, dtype=torch.float64, device=device)
    labels = shared.labels
    coarse_valid = torch.isfinite(c1).all(dim=0) & torch.isfinite(c2).all(dim=0)
    predictable = (labels >= 0) & _to_fine(coarse_valid, ratio)
    temporal = torch.where(predictable, change[labels.clamp(min=0)].permute(2, 0, 1), 0.0)  # F2_TP - F1
    count = coarse_sum(predictable, ratio)
    residual = (c2 - c1) - coarse_sum(temporal, ratio) / count  # R, step 3
    spatial = bicubic(c2, ratio)  # F2_SP, step 4
    distributed = distribute_residual(residual, spatial - (f1 + temporal), shared.homogeneity, predictable, ratio)
    fine_change = torch.where(predictable, _clip(f1 + temporal + distributed, data_range) - f1, 0.0)
    candidates = torch.where(predictable, f1, torch.nan)
    if device.type == "cpu":  # the shared similar pixels hold where the date's coarse image is present
        smoothed = compiled_similar_change(candidates, fine_change, thresholds, half_window, n_similar, core,
                                           similar=shared.similar if torch.isfinite(c2).all() else None)
    else:
        smoothed = swept_similar_change(candidates, fine_change, thresholds, half_window, n_similar, core)
    at = (..., *core)
    prediction = torch.where(predictable[at], _clip(f1[at] + smoothed, data_range), torch.nan)
    return prediction.float().cpu().numpy()


def _clip(values: Tensor, data_range: Sequence[float] | None) -> Tensor:
    return values if data_range is None else values.clamp(float(data_range[0]), float(data_range[1]))


def cubic_weights(size: int, ratio: int) -> Tensor:
    """(size ratio, size) matrix of 1-D bicubic convolution onto the fine pixel centres, float64.

    Keys (1981) kernel with a = -0.5; fine pixel y sits at coarse coordinate (y + 0.5) / ratio - 0.5, whose
    fractional part depends only on y mod ratio (the same in every block); taps beyond the edges fall on the
    edge pixel.
    """
    fine = torch.arange(size * ratio)
    phase = ((fine % ratio).double() + 0.5) / ratio - 0.5
    before = phase < 0
    base, t = fine // ratio - before.long(), phase + before.double()
    taps = torch.arange(-1, 3)
    distance = (t[None] - taps[:, None]).abs()
    a = -0.5
    near = (a + 2) * distance**3 - (a + 3) * distance**2 + 1
    far = a * distance**3 - 5 * a * distance**2 + 8 * a * distance - 4 * a
    weights = torch.where(distance <= 1, near, torch.where(distance < 2, far, 0.0))
    matrix = torch.zeros(size * ratio, size, dtype=torch.float64)
    for k in range(4):
        matrix.index_put_((fine, (base + taps[k]).clamp(0, size - 1)), weights[k], accumulate=True)
    return matrix


def bicubic(coarse: Tensor, ratio: int) -> Tensor:
    """Step 4: coarse (C, h, w) interpolated onto the fine grid (C, h ratio, w ratio).

    NaN coarse pixels are left out and the weights of the others renormalised; the own coarse pixel of a
    predicted fine pixel is valid and weighs at least 0.5625^2 (the negative lobes at most 0.0625 each way),
    so the sum of the weights left stays well above zero.
    """
    rows, cols = (cubic_weights(n, ratio).to(coarse.device) for n in coarse.shape[-2:])
    valid = torch.isfinite(coarse)
    return (rows @ torch.where(valid, coarse, 0.0) @ cols.T) / (rows @ valid.double() @ cols.T)


def box_count(mask: Tensor, half: int) -> Tensor:
    """Number of True pixels in the (2 half + 1)^2 window around each pixel, clipped at the edges (exact)."""
    size = 2 * half + 1
    padded = F.pad(mask.double()[None, None], (half, half, half, half))[0, 0]
    table = F.pad(padded.cumsum(0).cumsum(1), (1, 0, 1, 0))
    return table[size:, size:] - table[:-size, size:] - table[size:, :-size] + table[:-size, :-size]


def homogeneity_index(labels: Tensor, n_classes: int, ratio: int) -> Tensor:
    """HI, step 5: the share of classified pixels in a window one coarse pixel wide (2 floor(ratio / 2) + 1, an
    odd width so that it is centred) that have the central pixel's class; 0 where the pixel is unclassified."""
    half = ratio // 2
    same = torch.zeros(labels.shape, dtype=torch.float64, device=labels.device)
    for index in range(n_classes):
        members = labels == index
        same = torch.where(members, box_count(members, half), same)
    return same / box_count(labels >= 0, half).clamp(min=1)


def distribute_residual(residual: Tensor, homogeneous_error: Tensor, homogeneity: Tensor, predictable: Tensor,
                        ratio: int) -> Tensor:
    """r = m R W, step 5: the residual R (C, h, w) of each coarse pixel spread over its predictable fine pixels.

    W = CW / sum_j CW, CW = |E_ho| HI + |R| (1 - HI), E_ho (``homogeneous_error``, C, H, W) kept only where it
    has the sign of R; m counts the predictable fine pixels, so the mean of r over them is R. A coarse pixel
    whose CW are all 0 gets R everywhere.
    """
    fine_residual = _to_fine(residual, ratio)
    agrees = torch.where(fine_residual > 0, homogeneous_error > 0, homogeneous_error < 0)
    weight = torch.where(agrees, homogeneous_error.abs(), 0.0) * homogeneity + fine_residual.abs() * (1 - homogeneity)
    weight = torch.where(predictable, weight, 0.0)
    total = _to_fine(coarse_sum(weight, ratio), ratio)
    count = _to_fine(coarse_sum(predictable, ratio), ratio)
    share = torch.where(total > 0, weight / total, 1 / count)
    return count * fine_residual * share


def similar_pixels(candidates: Tensor, thresholds: Tensor, half_window: int, n_similar: int,
                   core: tuple[slice, slice]) -> np.ndarray:
    """Step 6's similar pixels of each ``core`` pixel (rows, cols, n_similar), for ``candidates`` F1 (C, H, W) NaN
    where a pixel may not serve and ``thresholds`` (C,): the CPU kernel ``kernels.fsdaf_similar_pixels``."""
    rows, cols = core
    out = np.empty((rows.stop - rows.start, cols.stop - cols.start, n_similar), np.int32)
    fsdaf_similar_pixels(F.pad(candidates, (half_window,) * 4, value=math.nan).contiguous().numpy(),
                         thresholds.cpu().numpy(), 2 * half_window + 1, n_similar, rows.start, cols.start, out)
    return out


def compiled_similar_change(candidates: Tensor, change: Tensor, thresholds: Tensor, half_window: int,
                            n_similar: int, core: tuple[slice, slice], similar: np.ndarray | None = None) -> Tensor:
    """sum_k w_k dF_k over the similar pixels of each ``core`` pixel, step 6, for ``candidates`` F1 (C, H, W)
    NaN where a pixel may not serve, ``change`` dF (C, H, W) and ``thresholds`` (C,); NaN where a pixel has no
    similar pixel. The CPU kernels; ``similar``: the similar pixels found before (``similar_pixels``).
    """
    if similar is None:
        similar = similar_pixels(candidates, thresholds, half_window, n_similar, core)
    out = np.empty((len(change), *similar.shape[:2]))
    fsdaf_similar_change(similar, F.pad(change, (half_window,) * 4).contiguous().numpy(),
                         offset_weights(half_window, half_window, np.float64), core[0].start, core[1].start, out)
    return torch.from_numpy(out)


def swept_similar_change(candidates: Tensor, change: Tensor, thresholds: Tensor, half_window: int,
                         n_similar: int, core: tuple[slice, slice]) -> Tensor:
    """The same as ``compiled_similar_change`` by whole-strip tensor operations, for the whole window (the GPU
    path): the loop runs over the window's offsets; the keys of a strip of rows (offsets x pixels) are held at
    once so that the ``n_similar`` smallest are picked in one ``topk``. Ties between equally similar pixels go
    to either (the paper does not rank them; the kernel takes them in raster order).
    """
    channels, height, width = candidates.shape
    span = 2 * half_window + 1
    offsets = [(dy, dx) for dy in range(span) for dx in range(span)]
    distance = torch.tensor([math.hypot(dy - half_window, dx - half_window) for dy, dx in offsets],
                            dtype=torch.float64, device=candidates.device)
    inverse_distance = 1 / (1 + distance / half_window)
    padded = F.pad(candidates, (half_window,) * 4, value=torch.nan)
    padded_change = F.pad(change, (half_window,) * 4).reshape(channels, -1)
    shift = torch.tensor([dy * padded.shape[-1] + dx for dy, dx in offsets], device=candidates.device)
    float64 = {"dtype": torch.float64, "device": candidates.device}
    ones, infinity = torch.ones(1, channels, **float64), torch.tensor(torch.inf, **float64)
    tolerance = thresholds[:, None, None]
    budget = KEY_BUDGET.get(candidates.device.type, KEY_BUDGET["cpu"])
    strip_rows = max(1, budget // (len(offsets) * width))
    rows = min(strip_rows, height)
    keys = torch.empty(len(offsets), rows * width, dtype=torch.float64, device=candidates.device)
    difference = torch.empty(channels, rows, width, dtype=torch.float64, device=candidates.device)
    total, excess = torch.empty(1, rows * width, **float64), torch.empty(rows, width, **float64)
    result = torch.empty_like(change)
    for top in range(0, height, strip_rows):
        rows = min(strip_rows, height - top)
        size = rows * width
        band = padded[:, top : top + rows + 2 * half_window]
        centre = band[:, half_window : half_window + rows, half_window : half_window + width]
        key, step, step_total, step_excess = keys[:, :size], difference[:, :rows], total[:, :size], excess[:rows]
        for index, (dy, dx) in enumerate(offsets):
            torch.sub(band[:, dy : dy + rows, dx : dx + width], centre, out=step).abs_()
            torch.mm(ones, step.view(channels, size), out=step_total)
            torch.amax(step.sub_(tolerance), dim=0, out=step_excess)  # NaN where a pixel may not serve
            torch.where(step_excess.view(size) <= 0, step_total[0], infinity, out=key[index])
        nearest, chosen = torch.topk(key, min(n_similar, len(offsets)), dim=0, largest=False)
        weight = torch.where(torch.isfinite(nearest), inverse_distance[chosen], 0.0)
        origin = torch.arange(rows * width, device=candidates.device)
        origin = (origin // width + top) * padded.shape[-1] + origin % width
        neighbour_change = padded_change[:, origin[None] + shift[chosen]]
        weighted = (neighbour_change * weight).sum(dim=1) / weight.sum(dim=0)
        result[:, top : top + rows] = weighted.reshape(channels, rows, width)
    return result[(..., *core)]
