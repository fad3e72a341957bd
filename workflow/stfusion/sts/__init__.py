"""STS-MTL: long-time-series spatio-temporal-spectral fusion by multi-task learning (Peng, Li, Zhou and Li, "A
Long-time-series Spatio-Temporal-Spectral Fusion Method via Multi-task Learning").

``chain`` trains it on one site's series and predicts one date at a time (PCA, time-encoded samples, training,
tiled prediction); ``pca``, ``resample``, ``data``, ``network`` and ``losses`` are its parts; ``series`` plans
and reads the scenes of each job, ``protocol`` simulates the Dataset I of Peng et al., ``two_stage`` holds its
two-stage baselines and ``naive`` the nearest-HS-date baseline.
"""
from .chain import STSSettings, TrainedSTS, predict_scores, train_sts, wald_scores

__all__ = ["STSSettings", "TrainedSTS", "predict_scores", "train_sts", "wald_scores"]
