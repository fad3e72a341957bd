"""One thread budget for a job: PyTorch's intra-op threads, numba's parallel kernels and NumPy's BLAS.

A rule's script calls ``use_threads(snakemake.threads)`` first, so that a job asked to run on n cores
uses n (and Snakemake can run the classical methods' single-threaded jobs side by side). It imports
neither PyTorch nor numba: a job that does not need them (a naive baseline) does not pay their start-up;
one that imports them later gets the budget from the environment variables they read at import.
"""
from __future__ import annotations

import os
import sys

from threadpoolctl import threadpool_limits


def use_threads(threads: int) -> None:
    """Limit torch, numba and the BLAS/OpenMP pools of this process to ``threads`` threads."""
    threadpool_limits(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)  # PyTorch's intra-op threads and OpenMP, when imported later
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    if "numba" in sys.modules:
        numba = sys.modules["numba"]
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    else:
        os.environ["NUMBA_NUM_THREADS"] = str(threads)  # the size of numba's pool, read when it is imported
