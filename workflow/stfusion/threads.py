"""One thread budget for a job: PyTorch's intra-op threads, numba's parallel kernels and NumPy's BLAS.

A rule's script calls ``use_threads(snakemake.threads)`` first, so that a job asked to run on n cores
uses n (and Snakemake can run the classical methods' single-threaded jobs side by side).
"""
from __future__ import annotations

import numba
import torch
from threadpoolctl import threadpool_limits


def use_threads(threads: int) -> None:
    """Limit torch, numba and the BLAS/OpenMP pools of this process to ``threads`` threads."""
    torch.set_num_threads(threads)
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    threadpool_limits(threads)
