"""Rule sts_train: a spatio-temporal-spectral method of the registry (stfusion.methods.STS, e.g. STS-MTL or a
two-stage baseline of Peng, Li, Zhou and Li, "A Long-time-series Spatio-Temporal-Spectral Fusion Method via
Multi-task Learning") fitted on a site's training scenes, resumable after a kill (checkpoints beside the model).
Under the simulation protocol the truth of the HS dates is given to the method as labels."""
import json
import time
from pathlib import Path

import numpy as np

from stfusion.io import read_stack, write_text
from stfusion.runlog import log_to
from stfusion.sts.method import SRF, sts_method
from stfusion.sts.series import ROLES, read_series, series_sensors, srf_matrices
from stfusion.threads import use_threads

log = log_to(snakemake.log[0])
w, spec, method = snakemake.wildcards, snakemake.params.spec, snakemake.params.method
use_threads(snakemake.threads)
sensors = series_sensors(spec, snakemake.params.sensors)
series, _, _ = read_series({r: snakemake.input[r] for r in ROLES}, snakemake.params.dates,
                           {r: s.band_names for r, s in sensors.items()})
truth = np.stack([read_stack(path) for path in snakemake.input.truths]) if "truths" in snakemake.input.keys() else None
model = sts_method(method, spec, snakemake.params.config)
start = time.perf_counter()
record = model.fit(series, SRF(*srf_matrices(sensors)), Path(snakemake.output.model).parent, truth)
model.save(snakemake.output.model)
record["seconds"] = time.perf_counter() - start
write_text(snakemake.output.record, json.dumps(record))
log.info("%s: %s trained in %.1f s", w.method, method["model"], record["seconds"])
