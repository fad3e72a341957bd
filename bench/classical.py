"""Speed and memory of the classical methods (STARFM, ESTARFM, FSDAF), as ratios within one run.

For each method, on a structured synthetic scene (6 bands, ratio 16, fields of a few land covers with
texture and a class-wise change between the dates):
- the method on a 1024 x 1024 fine-pixel scene with its published defaults (blocks of 512), on one
  thread and on ``--threads`` (all cores by default): megapixels per second, the scaling between the two,
  and the peak resident memory of its process;
- the per-pixel reference of the tests (``stfusion.classical.reference``, written straight from the
  papers) on the central 64 x 64 pixels of a 128 x 128 crop of the same scene, so that every timed pixel
  has its whole window, as in the large scene: megapixels per second, and the speed-up of the method
  (on ``--threads``) over it.

Run: ``python bench/classical.py [--device cuda] [--threads N] [--json]``; it prints a Markdown table, or
with ``--json`` a JSON list with one object per method (``method``, ``mp_per_s``, ``mp_per_s_1_thread``,
``scaling``, ``reference_mp_per_s``, ``speedup``, ``peak_mb``, ``threads``, ``cpu``: the model name ``lscpu``
gives), so a script can check the ratios. Each method runs in its own process so that peak-memory figures
do not mix. The methods' first call compiles their kernels (numba, cached on disk); it is not timed.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numba
import numpy as np
import torch

from stfusion.classical.fsdaf import class_map, class_samples
from stfusion.classical.reference import starfm_estarfm
from stfusion.classical.reference.fsdaf import fsdaf_reference
from stfusion.classical.unmixing import kmeans
from stfusion.methods import FUSION, of_family

RATIO, BANDS, SIZE, CROP, MARGIN = 16, 6, 1024, 64, 32  # MARGIN: two coarse pixels, more than any half window
PAIRS = {"starfm": 2, "estarfm": 2, "fsdaf": 1}


def scene(size: int, pairs: int, seed: int = 0):
    """fine_refs (K, C, size, size), coarse_refs, coarse_t1: 4 covers in 32-px fields, each changing its own way."""
    rng = np.random.default_rng(seed)
    cover = np.kron(rng.integers(0, 4, (size // 32, size // 32)), np.ones((32, 32), int))
    spectra = rng.uniform(0.05, 0.5, (4, BANDS))
    change = rng.uniform(-0.05, 0.05, (pairs + 1, 4, BANDS))
    fine = [(spectra + change[k])[cover].transpose(2, 0, 1) + rng.normal(0, 0.01, (BANDS, size, size))
            for k in range(pairs + 1)]
    coarse = [f.reshape(BANDS, size // RATIO, RATIO, size // RATIO, RATIO).mean(axis=(2, 4)) for f in fine]
    return (np.stack(fine[:pairs]).astype(np.float32), np.stack(coarse[:pairs]).astype(np.float32),
            coarse[pairs].astype(np.float32))


def reference_run(name: str, fine_refs, coarse_refs, coarse_t1, only):
    if name == "fsdaf":
        labels = class_map(torch.as_tensor(fine_refs[0], dtype=torch.float64),
                           torch.as_tensor(kmeans(class_samples(fine_refs[0]), 4, seed=0))).numpy()
        return fsdaf_reference(fine_refs[0], coarse_refs[0], coarse_t1, RATIO, labels, 4, only=only)
    return getattr(starfm_estarfm, f"{name}_reference")(fine_refs, coarse_refs, coarse_t1, RATIO, only=only)


def rate(name: str, inputs, device: str, threads: int) -> float:
    """Megapixels per second of one run of the method on ``threads`` threads (torch and numba)."""
    torch.set_num_threads(threads)
    numba.set_num_threads(threads)
    start = time.perf_counter()
    FUSION[name].load()(*inputs, RATIO, block=512, device=device)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return inputs[0].shape[-1] * inputs[0].shape[-2] / 1e6 / (time.perf_counter() - start)


def measure(name: str, device: str, threads: int) -> None:
    """One method in this process: prints 'mp_per_s mp_per_s_1_thread reference_mp_per_s peak_mb'."""
    inputs = scene(SIZE, PAIRS[name])
    rate(name, scene(4 * RATIO, PAIRS[name]), device, 1)  # compiles the kernels (or loads them from the cache)
    single, fast = rate(name, inputs, device, 1), rate(name, inputs, device, threads)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = CROP + 2 * MARGIN
    torch.set_num_threads(1)
    start = time.perf_counter()
    reference_run(name, inputs[0][..., :size, :size], inputs[1][..., : size // RATIO, : size // RATIO],
                  inputs[2][..., : size // RATIO, : size // RATIO], (slice(MARGIN, MARGIN + CROP),) * 2)
    slow = CROP * CROP / 1e6 / (time.perf_counter() - start)
    print(f"{fast} {single} {slow} {peak}")


def cpu_model() -> str:
    """The CPU's model name as ``lscpu`` prints it (the machine every figure names)."""
    out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a Markdown table")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        measure(args.one, args.device, args.threads)
        return
    rows = []
    if not args.json:
        print(f"| method | MP/s, {SIZE}^2 px, 1 thread | {args.threads} threads | scaling | peak memory MB | "
              f"MP/s per-pixel reference, {CROP}^2 px | speed-up |")
        print("|---|---|---|---|---|---|---|")
    for name in of_family(FUSION, "classical"):
        out = subprocess.run([sys.executable, __file__, "--one", name, "--device", args.device,
                              "--threads", str(args.threads)], capture_output=True, text=True, check=True)
        fast, single, slow, peak = (float(v) for v in out.stdout.split())
        rows.append({"method": name, "mp_per_s": fast, "mp_per_s_1_thread": single, "scaling": fast / single,
                     "reference_mp_per_s": slow, "speedup": fast / slow, "peak_mb": peak, "threads": args.threads,
                     "cpu": cpu_model()})
        if not args.json:
            print(f"| {name} | {single:.3f} | {fast:.3f} | {fast / single:.2f}x | {peak:.0f} | {slow:.5f} | "
                  f"{fast / slow:.0f}x |", flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
