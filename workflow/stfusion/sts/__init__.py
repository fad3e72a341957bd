"""STS-MTL: long-time-series spatio-temporal-spectral fusion by multi-task learning (paper 000; SPEC 3.7).

``chain`` runs it for one site (PCA, time-encoded samples, training, tiled prediction); ``pca``,
``resample``, ``data``, ``network`` and ``losses`` are its parts; ``protocol`` simulates paper 000's
Dataset I and ``two_stage`` its two-stage baselines.
"""
from .chain import STSResult, STSSettings, TrainedSTS, fuse_series, predict_scores, train_sts

__all__ = ["STSResult", "STSSettings", "TrainedSTS", "fuse_series", "predict_scores", "train_sts"]
