"""Compiled moving-window kernels on the CPU (numba): the inner loops of STARFM, ESTARFM and FSDAF.

The tensor versions in ``starfm``, ``estarfm`` and ``fsdaf`` sweep the window offset by offset over whole
blocks, so every offset streams the block through memory; on a GPU that is the fast way, on a CPU the
memory traffic dominates. Here one parallel job per output row keeps a row's accumulators and the
window's rows in cache and the comparisons in registers. Each kernel computes the output pixels of a
block's core only (``top``, ``left``: the core's first pixel in the block), from inputs padded by the
half window (``pad``: NaN where a pixel is masked or beyond the block, so every comparison with it is
false). Floating-point reassociation is allowed (sums in another order, as the tensor sweeps differ
among themselves); no-NaN assumptions are not, the masks rely on NaN comparisons.
"""
from __future__ import annotations

import numba
import numpy as np

# reassociation lets LLVM vectorise the sums; "nnan"/"ninf" would break the NaN masks
FASTMATH = {"reassoc", "contract", "nsz", "arcp"}
# pixels of a row per job of the ESTARFM kernel: its masks (window x CHUNK) and sums stay in the L1/L2 caches
CHUNK = 64
# floats per SIMD vector the STARFM kernel pads its window rows to (AVX2: 8; a multiple of 8 suits AVX-512 too)
LANES = 8


def offset_weights(half: int, distance_scale: float, dtype: type = np.float32) -> np.ndarray:
    """1 / D = 1 / (1 + d / A) for every offset of the (2 half + 1)^2 window, (rows, columns)."""
    dy, dx = np.mgrid[-half : half + 1, -half : half + 1]
    return (1.0 / (1.0 + np.hypot(dy, dx) / distance_scale)).astype(dtype)


@numba.njit(parallel=True, fastmath=FASTMATH, cache=True)
def starfm_sums(centre, spectral, temporal, inverse, inverse_value, thresholds, spectral_limit, temporal_limit,
                weights, top, left, weight_sum, weighted_value):
    """Sum_k,q 1 / C and (1 / C) x (the candidate's term of Eq. 5) over STARFM's candidates, per date, band and pixel.

    The references' planes (K, C, h + 2 half, w + 2 half + extra), padded: ``centre`` (fine references) and
    ``spectral`` S; each date's, (n, K, C, .., ..), padded: ``temporal`` T, ``inverse`` 1 / (S T) and
    ``inverse_value``; ``thresholds`` (K, C); the sample-filter limits, S (C, h, w) and T (n, C, h, w);
    ``weights`` 1 / D per offset, (span, span + extra) with columns of 0 up to a multiple of ``LANES``; out:
    ``weight_sum`` and ``weighted_value`` (n, C, rows, cols) of the core. A neighbour q is a candidate of p in
    pair k when |L_k(q) - L_k(p)| <= threshold, S_k(q) <= S limit(p) and T_k(q) <= T
    limit(p) (Gao et al. 2006, Eqs. 15-16). The first two tests and 1 / D depend on the references only: for
    each window row of an output row they are found once, as 1 / D or 0 per pixel and offset, and serve all
    n dates, whose own work is the T test and the two sums, each a reduction over a pixel's window row (the
    neighbours contiguous, the sums in registers). A further date costs about half a lone one.
    """
    dates, pairs, bands = temporal.shape[0], centre.shape[0], centre.shape[1]
    rows, cols = weight_sum.shape[2], weight_sum.shape[3]
    span, lanes = weights.shape  # lanes: the window's width, padded with weights 0 to whole SIMD vectors
    half = span // 2
    for job in numba.prange(bands * rows):
        band, y = job // rows, job % rows
        passed = np.empty((cols, lanes), np.float32)  # 1 / D where the reference tests pass, else 0
        weight_sum[:, band, y] = 0.0
        weighted_value[:, band, y] = 0.0
        s_limit = spectral_limit[band, top + y, left : left + cols]
        for k in range(pairs):
            threshold = thresholds[k, band]
            centre_row = centre[k, band, top + y + half, left + half : left + half + cols]
            for dy in range(span):
                row = top + y + dy
                fine_q, s_q, weight = centre[k, band, row, left:], spectral[k, band, row, left:], weights[dy]
                for x in range(cols):  # each pixel's window row: contiguous neighbours, vectorised over dx
                    centre_p, s_limit_p, passed_p = centre_row[x], s_limit[x], passed[x]
                    fine_p, s_p = fine_q[x : x + lanes], s_q[x : x + lanes]
                    for dx in range(lanes):
                        similar = (abs(fine_p[dx] - centre_p) <= threshold) & (s_p[dx] <= s_limit_p)
                        passed_p[dx] = weight[dx] if similar else np.float32(0.0)
                for d in range(dates):
                    t_limit = temporal_limit[d, band, top + y, left : left + cols]
                    t_q, inverse_q = temporal[d, k, band, row, left:], inverse[d, k, band, row, left:]
                    inverse_value_q = inverse_value[d, k, band, row, left:]
                    sums, values = weight_sum[d, band, y], weighted_value[d, band, y]
                    for x in range(cols):
                        t_p, inverse_p = t_q[x : x + lanes], inverse_q[x : x + lanes]
                        inverse_value_p = inverse_value_q[x : x + lanes]
                        passed_p, t_limit_p = passed[x], t_limit[x]
                        total, value = np.float32(0.0), np.float32(0.0)
                        for dx in range(lanes):
                            w = passed_p[dx] if t_p[dx] <= t_limit_p else np.float32(0.0)
                            total += inverse_p[dx] * w
                            value += inverse_value_p[dx] * w
                        sums[x] += total
                        values[x] += value


@numba.njit(parallel=True, fastmath=FASTMATH, cache=True)
def estarfm_sums(candidate, centre, tolerance, counted, weighted, weights, top, left, counts, weighted_sums):
    """ESTARFM's window sums over the similar pixels of each core pixel (Zhu et al. 2010, Sect. 2.2).

    Planes, padded: ``candidate`` (2 C, h + 2 half, w + 2 half) the fine references of both dates, NaN
    where a pixel may not serve; ``counted`` (n, .., ..) the terms summed as they are (1, then the
    regression terms), ``weighted`` (m, .., ..) the terms summed with the weight 1 / D (1 / (1 - R), then
    its products with the coarse changes). Unpadded: ``centre`` and ``tolerance`` (2 C, h, w). A neighbour
    is similar when it is within tolerance in every band of both dates. Out: ``counts`` (n, rows, cols)
    and ``weighted_sums`` (m, rows, cols) of the core. One job per CHUNK pixels of a row: per window row,
    the 0/1 similarity of every offset is found first, then every term summed with it.
    """
    rows, cols = counts.shape[1], counts.shape[2]
    span = weights.shape[0]
    chunks = (cols + CHUNK - 1) // CHUNK
    for job in numba.prange(rows * chunks):
        y, start = job // chunks, job % chunks * CHUNK
        width = min(CHUNK, cols - start)
        similar = np.empty((2, span, width), np.float32)  # two window rows at a time: half the loads of the sums
        weight = np.empty((2, span, width), np.float32)
        counts[:, y, start : start + width] = 0.0
        weighted_sums[:, y, start : start + width] = 0.0
        first = left + start
        for dy in range(0, span, 2):
            pair = min(2, span - dy)
            if pair == 1:  # the last row of an odd window goes alone, with masks of 0 for a second
                similar[1] = 0.0
                weight[1] = 0.0
            for j in range(pair):
                similar_mask(similar[j], candidate, centre, tolerance, top + y, top + y + dy + j, first)
                for dx in range(span):
                    for x in range(width):
                        weight[j, dx, x] = similar[j, dx, x] * weights[dy + j, dx]
            second = top + y + dy + pair - 1
            add_masked(counts, counted, similar, y, start, top + y + dy, second, first)
            add_masked(weighted_sums, weighted, weight, y, start, top + y + dy, second, first)


@numba.njit(fastmath=FASTMATH, cache=True)
def similar_mask(out, candidate, centre, tolerance, y, row, first):
    """out[dx, x] = 1 where the pixel (row, first + x + dx) is similar to (y, first + x) in every band, else 0."""
    span, width = out.shape
    out[:] = 1.0
    for t in range(candidate.shape[0]):
        p_centre, p_tolerance = centre[t, y, first : first + width], tolerance[t, y, first:]
        q = candidate[t, row, first:]
        for dx in range(span):
            close = out[dx]
            for x in range(width):
                close[x] = close[x] if abs(q[x + dx] - p_centre[x]) <= p_tolerance[x] else np.float32(0.0)


@numba.njit(fastmath=FASTMATH, cache=True)
def add_masked(totals, terms, masks, y, start, row, second, first):
    """totals[t, y, start + x] += sum_dx sum_j masks[j, dx, x] terms[t, (row, second)[j], first + x + dx]."""
    span, width = masks.shape[1], masks.shape[2]
    for t in range(terms.shape[0]):
        total, term, term_second = totals[t, y, start : start + width], terms[t, row, first:], terms[t, second, first:]
        for dx in range(span):
            mask, mask_second = masks[0, dx], masks[1, dx]
            for x in range(width):
                total[x] += mask[x] * term[x + dx] + mask_second[x] * term_second[x + dx]


@numba.njit(parallel=True, fastmath=FASTMATH, cache=True)
def fsdaf_similar_pixels(candidate, thresholds, span, n_similar, top, left, out):
    """FSDAF step 6 (Zhu et al. 2016, Eq. 21): the ``n_similar`` pixels of the ``span`` x ``span`` window most
    similar to each core pixel in F1.

    ``candidate`` (C, h + span - 1, w + span - 1), padded, NaN where a pixel may not serve; ``thresholds`` (C,).
    A neighbour is similar when every band is within its threshold; the smallest summed absolute differences
    win, ties in raster order (the first offset first). Out (rows, cols, n_similar): their window offsets
    dy span + dx, most similar first, -1 past the last. One job per CHUNK pixels of a row: per window row, the
    keys of every offset are found band by band (vectorised over the pixels), then each pixel keeps its best.
    """
    bands = candidate.shape[0]
    rows, cols = out.shape[0], out.shape[1]
    half = span // 2
    chunks = (cols + CHUNK - 1) // CHUNK
    for job in numba.prange(rows * chunks):
        y, start = job // chunks, job % chunks * CHUNK
        width = min(CHUNK, cols - start)
        first = left + start
        keys = np.empty((span, width))
        best_key = np.full((width, n_similar), np.inf)
        best_at = np.full((width, n_similar), -1, np.int32)
        found = np.zeros(width, np.int64)
        for dy in range(span):
            keys[:] = 0.0
            for b in range(bands):
                centre = candidate[b, top + y + half, first + half :]
                q, tolerance = candidate[b, top + y + dy, first:], thresholds[b]
                for dx in range(span):
                    key = keys[dx]
                    for x in range(width):
                        difference = abs(q[x + dx] - centre[x])
                        key[x] = key[x] + difference if difference <= tolerance else np.inf
            for x in range(width):
                best, at = best_key[x], best_at[x]
                for dx in range(span):
                    key = keys[dx, x]
                    if key < best[n_similar - 1]:  # insert, keeping the earlier of equal keys first
                        slot = min(found[x], n_similar - 1)
                        while slot > 0 and best[slot - 1] > key:
                            best[slot], at[slot] = best[slot - 1], at[slot - 1]
                            slot -= 1
                        best[slot], at[slot] = key, dy * span + dx
                        found[x] = min(found[x] + 1, n_similar)
        out[y, start : start + width] = best_at


@numba.njit(parallel=True, fastmath=FASTMATH, cache=True)
def fsdaf_similar_change(similar, change, weights, top, left, out):
    """FSDAF step 6 (Zhu et al. 2016, Eq. 22): sum_k w_k dF_k over the similar pixels of each core pixel.

    ``similar`` (rows, cols, n) from ``fsdaf_similar_pixels``; ``change`` dF (C, h + span - 1, w + span - 1),
    padded with 0; ``weights`` 1 / D per offset. Out (C, rows, cols), NaN where no pixel is similar.
    """
    bands, rows, cols = out.shape
    span = weights.shape[0]
    for y in numba.prange(rows):
        for x in range(cols):
            total = 0.0
            for b in range(bands):
                out[b, y, x] = 0.0
            for at in similar[y, x]:
                if at < 0:
                    break
                dy, dx = at // span, at % span
                total += weights[dy, dx]
                for b in range(bands):
                    out[b, y, x] += weights[dy, dx] * change[b, top + y + dy, left + x + dx]
            for b in range(bands):
                out[b, y, x] = out[b, y, x] / total if total > 0 else np.nan


@numba.njit(parallel=True, fastmath=FASTMATH, cache=True)
def estarfm_coarse_weights(candidate, centre, tolerance, inverse, weights, top, left, row_taps, col_taps, out):
    """ESTARFM's weights W_i of each core pixel folded onto the coarse pixels they resample (Zhu et al. 2010, Eq. 9).

    A similar pixel i (as in ``estarfm_sums``) weighs (1 / D_i) = weights[offset] / (1 - R_i) (``inverse``,
    padded); its coarse change on the fine grid is the bilinear mixture of the coarse pixels around it, so
    sum_i W_i dC_i = sum_a,b G[a, b] dC[a, b] over the coarse pixels. ``row_taps`` (4, h): the first and
    second coarse row of each block row, less the first coarse row the core row can reach, and their
    weights; ``col_taps`` the same for columns. Out: G (rows, cols, ny, nx) of the core, unnormalised.
    """
    rows, cols, ny, nx = out.shape
    height = centre.shape[1]
    span = weights.shape[0]
    half = span // 2
    chunks = (cols + CHUNK - 1) // CHUNK
    for job in numba.prange(rows * chunks):
        y, start = job // chunks, job % chunks * CHUNK
        count = min(CHUNK, cols - start)
        first = left + start
        similar = np.empty((span, count), np.float32)
        folded = np.zeros((count, ny, nx))
        for dy in range(span):
            neighbour_row = top + y + dy - half
            if neighbour_row < 0 or neighbour_row >= height:
                continue  # beyond the block: no similar pixel
            similar_mask(similar, candidate, centre, tolerance, top + y, top + y + dy, first)
            base_row = row_taps[0, top + y]
            row_a, row_b = int(row_taps[1, neighbour_row] - base_row), int(row_taps[2, neighbour_row] - base_row)
            weight_a, weight_b = row_taps[3, neighbour_row], 1.0 - row_taps[3, neighbour_row]
            for dx in range(span):
                for x in range(count):
                    w = similar[dx, x] * weights[dy, dx] * inverse[top + y + dy, first + x + dx]
                    if w != 0.0:
                        q = first + x + dx - half
                        base_col = col_taps[0, first + x]
                        col_a, col_b = int(col_taps[1, q] - base_col), int(col_taps[2, q] - base_col)
                        wa, wb = w * col_taps[3, q], w * (1.0 - col_taps[3, q])
                        folded[x, row_a, col_a] += weight_a * wa
                        folded[x, row_a, col_b] += weight_a * wb
                        folded[x, row_b, col_a] += weight_b * wa
                        folded[x, row_b, col_b] += weight_b * wb
        for x in range(count):
            out[y, start + x] = folded[x]


@numba.njit(parallel=True, fastmath=FASTMATH, cache=True)
def fold_coarse(folded, first_row, first_col, coarse, out):
    """out[t, y, x] = sum_a,b folded[y, x, a, b] coarse[t, first_row[y] + a, first_col[x] + b], indices clipped
    at the edges (where the fold is 0): ``folded`` (rows, cols, ny, nx), ``coarse`` (n, hc, wc) -> out (n, rows, cols)."""
    rows, cols, ny, nx = folded.shape
    last_row, last_col = coarse.shape[1] - 1, coarse.shape[2] - 1
    for y in numba.prange(rows):
        for x in range(cols):
            g = folded[y, x]
            for t in range(coarse.shape[0]):
                total = 0.0
                for a in range(ny):
                    row = coarse[t, min(first_row[y] + a, last_row)]
                    for b in range(nx):
                        total += g[a, b] * row[min(first_col[x] + b, last_col)]
                out[t, y, x] = total
