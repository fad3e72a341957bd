"""Spectral resolution enhancement: CNMF fuses an HS with an MS image; SRECNN maps MS to HS."""
from __future__ import annotations

from .cnmf import cnmf
from .srecnn import SRECNN, apply_srecnn, train_srecnn, training_pairs

__all__ = ["SRECNN", "apply_srecnn", "cnmf", "train_srecnn", "training_pairs"]
