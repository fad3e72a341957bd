"""Spatio-temporal-spectral fusion of Peng, Li, Zhou and Li, "A Long-time-series Spatio-Temporal-Spectral Fusion
Method via Multi-task Learning": STS-MTL, its two-stage baselines and the naive one.

``method`` is the interface every method of the registry (``methods.STS``) implements (``from_config``, ``fit``,
``predict``, ``save``/``load``) and ``sts_method`` builds one from its config entry; ``stsmtl`` is STS-MTL behind it,
``two_stage`` the two-stage baselines (a ``methods.FUSION`` stage, ``deep_stage`` training a deep one, then a
``spectral.method`` stage), ``naive`` the nearest-HS-date baseline. STS-MTL itself: ``chain`` trains it on one
site's series and predicts one date at a time (PCA, time-encoded samples, training, tiled prediction), with its
parts ``pca``, ``resample``, ``data``, ``network`` and ``losses``. ``series`` plans and reads the scenes of each
job and ``protocol`` simulates the Dataset I of Peng et al.
"""
from .chain import STSSettings, TrainedSTS, predict_scores, train_sts, wald_scores

__all__ = ["STSSettings", "TrainedSTS", "predict_scores", "train_sts", "wald_scores"]
