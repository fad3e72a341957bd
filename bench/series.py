"""The cost of a series: a further date with the same reference pairs, as a share of the first date's.

On one structured synthetic scene (``classical.scene``: 6 bands, ratio 16, seeded) of ``--size`` fine pixels a
side, each method predicts ``--dates`` coarse dates from the same reference pairs (two for STARFM, ESTARFM and
EDCSTFN, the first of them for FSDAF): the classical methods through ``prepare_*`` once and ``predict_*`` per
date (issue 28), EDCSTFN (untrained: its speed does not depend on its weights) through ``tiling.predict_scene``
per date; STARFM predicts the further dates in one call (``predict_starfm_dates``: the reference part of each
block's windows serves up to 8 dates). The first date costs the preparation and its prediction; the marginal
share is the mean time of a further date over the first date's time. Every method runs in this process, after
a small scene has compiled its kernels (numba, cached on disk); the dates are the third date of the scene
shifted by a seeded offset per band, so that each has its own coarse change.

Run: ``python bench/series.py [--size 1024] [--dates 23] [--threads N] [--json]``; it prints a Markdown table,
or with ``--json`` a JSON list with one object per method (``method``, ``first_s``, ``further_s``,
``marginal_share``, ``size``, ``dates``, ``threads``, ``cpu``: the model name ``lscpu`` gives).
"""
from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable

import numba
import numpy as np
import torch
from classical import BANDS, RATIO, cpu_model, scene

from stfusion.classical.estarfm import predict_estarfm, prepare_estarfm
from stfusion.classical.fsdaf import predict_fsdaf, prepare_fsdaf
from stfusion.classical.starfm import predict_starfm, predict_starfm_dates, prepare_starfm
from stfusion.models import FeatureAutoencoder, build_model
from stfusion.tiling import predict_scene

PAIRS = {"starfm": 2, "estarfm": 2, "fsdaf": 1, "edcstfn": 2}


def edcstfn(fine_refs: np.ndarray, coarse_refs: np.ndarray, ratio: int) -> tuple[object, Callable]:
    """An untrained EDCSTFN, and its prediction of a date by tiles (no preparation: every date runs it whole)."""
    model = build_model("edcstfn", channels=BANDS, ratio=ratio, feature_extractor=FeatureAutoencoder(BANDS).eval())
    return model.eval(), lambda model, t1: predict_scene(model, fine_refs, coarse_refs, t1)


METHODS: dict[str, Callable] = {
    "starfm": lambda fine, coarse, ratio: (prepare_starfm(fine, coarse, ratio), predict_starfm),
    "estarfm": lambda fine, coarse, ratio: (prepare_estarfm(fine, coarse, ratio), predict_estarfm),
    "fsdaf": lambda fine, coarse, ratio: (prepare_fsdaf(fine, coarse, ratio), predict_fsdaf),
    "edcstfn": edcstfn,
}


def series(size: int, dates: int, seed: int = 0):
    """fine_refs (2, C, size, size), coarse_refs (2, C, ., .) and ``dates`` coarse images (C, ., .)."""
    fine_refs, coarse_refs, coarse_t1 = scene(size, 2, seed)
    shifts = np.random.default_rng(seed + 1).uniform(-0.03, 0.03, (dates, BANDS, 1, 1)).astype(np.float32)
    return fine_refs, coarse_refs, list(coarse_t1 + shifts)


def time_series(name: str, size: int, dates: int) -> tuple[float, float]:
    """Seconds of the first date (preparation included) and mean seconds of a further date."""
    fine_refs, coarse_refs, coarse_dates = series(size, dates)
    pairs = PAIRS[name]
    start = time.perf_counter()
    state, predict = METHODS[name](fine_refs[:pairs], coarse_refs[:pairs], RATIO)
    predict(state, coarse_dates[0])
    first = time.perf_counter() - start
    start = time.perf_counter()
    if name == "starfm":
        predict_starfm_dates(state, np.stack(coarse_dates[1:]))
    else:
        for t1 in coarse_dates[1:]:
            predict(state, t1)
    return first, (time.perf_counter() - start) / max(dates - 1, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="fine pixels a side (a multiple of 16)")
    parser.add_argument("--dates", type=int, default=23)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a Markdown table")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    numba.set_num_threads(args.threads)
    cpu = cpu_model()
    rows = []
    if not args.json:
        print(f"{cpu}, {args.threads} threads, {args.size}^2 px, {args.dates} dates\n")
        print("| method | first date s (preparation included) | further date s | further / first |")
        print("|---|---|---|---|")
    for name in METHODS:
        time_series(name, 4 * RATIO, 2)  # compiles the kernels (or loads them from the cache)
        first, further = time_series(name, args.size, args.dates)
        rows.append({"method": name, "first_s": first, "further_s": further, "marginal_share": further / first,
                     "size": args.size, "dates": args.dates, "threads": args.threads, "cpu": cpu})
        if not args.json:
            print(f"| {name} | {first:.2f} | {further:.2f} | {further / first:.2f} |", flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
