"""Rule sts_fuse: simulate paper 000's three series from the truth; STS-MTL or a two-stage method predicts every date."""
import json
import time
from pathlib import Path

import numpy as np
import torch

from stfusion.io import read_raster, write_cog, write_text
from stfusion.runlog import log_to
from stfusion.sensors import load_sensor
from stfusion.sts import STSSettings, train_sts
from stfusion.sts.protocol import simulate_series
from stfusion.sts.two_stage import STFDCNNStage, two_stage
from stfusion.train import TrainingSettings, resolve_device

log = log_to(snakemake.log[0])
w, spec, method, training = snakemake.wildcards, snakemake.params.spec, snakemake.params.method, snakemake.params.training
torch.set_num_threads(snakemake.threads)
truths = [read_raster(path) for path in snakemake.input.truths]
grid = truths[0]
sensors = {role: load_sensor(spec[role], snakemake.config.get("sensors")) for role in ("hs_sensor", "fine_sensor", "ms_sensor")}
centres = np.array([band.centre_nm for band in sensors["hs_sensor"].bands])
series = simulate_series(dict(zip(spec["dates"], (t.data for t in truths))), centres, sensors["fine_sensor"],
                         sensors["ms_sensor"], spec["fine_dates"], spec["hs_dates"], spec["ms_ratio"], spec["hs_ratio"],
                         spec["degradation"])
out = Path(snakemake.output[0])
checkpoint = out.parent / "checkpoint.pt"
start = time.perf_counter()
if method["model"] == "stsmtl":
    settings = STSSettings(
        kernels=tuple(method["kernels"]), features=method["features"], blocks=method["blocks"],
        pca_variance=method["pca_variance"], degradation=spec["degradation"], epochs=method["epochs"],
        lr=method["lr"], schedule=method["schedule"], batch_size=method["batch_size"], patch=method["patch"],
        stride=method["stride"], tile=method["tile"], device=training["device"],
        mixed_precision=training["mixed_precision"], augment=training["augment"], seed=snakemake.params.seed,
    )
    # Supervised (simulated data): the truth labels only the dates with a hyperspectral observation; the
    # other dates are predicted without ever being seen, and they are the held-out dates of the evaluation.
    labelled = [d for d in spec["dates"] if d in spec["hs_dates"]]
    truth = np.stack([t.data for d, t in zip(spec["dates"], truths) if d in labelled])
    model = train_sts(series.fine, series.fine_dates, series.ms, series.ms_dates, series.hs, series.hs_dates,
                      series.hs_to_ms, series.hs_to_fine, settings, checkpoint, truth=truth, truth_dates=labelled)
    predict, extra = model.predict, {"task_weights": model.task_weights, "components": model.pca.n_components,
                                     "history": model.history}
else:  # two-stage `<spatiotemporal>_<spectral>`: ESTARFM or STFDCNN, then CNMF or SRECNN
    spatiotemporal, spectral = method["model"].split("_")

    def settings(run: dict) -> TrainingSettings:
        return TrainingSettings(epochs=run["epochs"], lr=run["lr"], batch_size=run["batch_size"],
                                seed=snakemake.params.seed, device=training["device"],
                                mixed_precision=training["mixed_precision"], augment=False)

    stage = method["stfdcnn"]
    stfdcnn = STFDCNNStage(settings(stage), out.parent / "checkpoint_stfdcnn.pt", stage["patch"], stage["stride"])
    cubes = two_stage(series, spectral, spatiotemporal=spatiotemporal, ms_ratio=spec["ms_ratio"],
                      hs_ratio=spec["hs_ratio"], degradation=spec["degradation"], training=settings(method),
                      checkpoint=checkpoint, stfdcnn=stfdcnn, device=resolve_device(training["device"]),
                      seed=snakemake.params.seed)
    predict, extra = cubes.__getitem__, {}
out.mkdir(parents=True, exist_ok=True)
for date in spec["dates"]:
    tags = {"site": w.site, "date": date, "stage": "prediction", "method": w.method, "model": method["model"],
            "sensor": spec["hs_sensor"]}
    write_cog(out / f"{date}.tif", predict(date), grid.crs, grid.transform, grid.names, tags)
    log.info("%s %s predicted", w.method, date)
seconds = time.perf_counter() - start
write_text(out / "run.json", json.dumps({"seconds": seconds, **extra}))
log.info("%s: %s in %.1f s", w.method, method["model"], seconds)
