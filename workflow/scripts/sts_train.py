"""Rule sts_train: STS-MTL or a two-stage baseline fitted on a site's training scenes (Peng, Li, Zhou and Li, "A
Long-time-series Spatio-Temporal-Spectral Fusion Method via Multi-task Learning"), resumable after a kill
(checkpoints beside the model). STS-MTL learns by Wald's protocol from observed series, and from the truth of the
HS dates under the simulation protocol."""
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from stfusion.io import read_stack, write_text
from stfusion.runlog import log_to
from stfusion.sts import STSSettings, train_sts, wald_scores
from stfusion.sts.series import ROLES, read_series, series_sensors, srf_matrices
from stfusion.sts.two_stage import STFDCNNStage, fit_two_stage
from stfusion.train import TrainingSettings, resolve_device, settings_from_config
from stfusion.threads import use_threads

log = log_to(snakemake.log[0])
w, spec, method, training = snakemake.wildcards, snakemake.params.spec, snakemake.params.method, snakemake.params.training
seed, dates = snakemake.params.seed, snakemake.params.dates
use_threads(snakemake.threads)
sensors = series_sensors(spec, snakemake.params.sensors)
series, _, _ = read_series({r: snakemake.input[r] for r in ROLES}, dates, {r: s.band_names for r, s in sensors.items()})
hs_to_fine, hs_to_ms = srf_matrices(sensors)
folder = Path(snakemake.output.model).parent
start = time.perf_counter()
if method["model"] == "stsmtl":
    settings = STSSettings(
        kernels=tuple(method["kernels"]), features=method["features"], blocks=method["blocks"],
        pca_variance=method["pca_variance"], degradation=spec["degradation"], patch=method["patch"],
        stride=method["stride"], tile=method["tile"],
        training=dataclasses.replace(settings_from_config(method, training, seed), schedule=method["schedule"]),
    )
    truth = np.stack([read_stack(path) for path in snakemake.input.truths]) if "truths" in snakemake.input.keys() else None
    model = train_sts(series.fine, series.fine_days, series.ms, series.ms_days, series.hs, series.hs_days, hs_to_ms,
                      hs_to_fine, settings, folder / "checkpoint.pt", truth=truth,
                      truth_dates=None if truth is None else series.hs_days)
    record = {"components": model.pca.n_components, "task_weights": model.task_weights, "history": model.history}
    if truth is None:  # Wald's protocol: how the model predicts at the scale it learnt on
        record["wald"] = wald_scores(model)
        log.info("Wald-scale scores (HS dates, own images withheld): %s", record["wald"])
else:  # two-stage `<spatiotemporal>_<spectral>`: ESTARFM or STFDCNN, then CNMF or SRECNN
    spatiotemporal, spectral = method["model"].split("_")

    def settings(run: dict) -> TrainingSettings:
        """A stage's training settings (its epochs, lr and batch size; the config's `training`), without
        augmentation."""
        return dataclasses.replace(settings_from_config(run, training, seed), augment=False)

    stage = method["stfdcnn"]
    model = fit_two_stage(series, spatiotemporal, spectral, degradation=spec["degradation"],
                          training=settings(method), checkpoint=folder / "checkpoint.pt",
                          stfdcnn=STFDCNNStage(settings(stage), folder / "checkpoint_stfdcnn.pt", stage["patch"],
                                               stage["stride"]),
                          device=resolve_device(training["device"]))
    record = {}
model.save(snakemake.output.model)
record["seconds"] = time.perf_counter() - start
write_text(snakemake.output.record, json.dumps(record))
log.info("%s: %s trained in %.1f s", w.method, method["model"], record["seconds"])
