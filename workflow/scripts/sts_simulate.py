"""Rule sts_simulate: one scene of the simulation protocol (Dataset I) of Peng, Li, Zhou and Li, "A Long-time-series
Spatio-Temporal-Spectral Fusion Method via Multi-task Learning", made from the fine HS truth of its date: through
the sensor's SRFs (fine and MS sensors), then degraded by its ratio (MS and HS sensors)."""
import numpy as np
from affine import Affine

from stfusion.io import read_raster, write_cog
from stfusion.runlog import log_to
from stfusion.sensors import load_sensor
from stfusion.simulate import spectral_weights
from stfusion.sts.protocol import observe

log = log_to(snakemake.log[0])
w, spec, sensors = snakemake.wildcards, snakemake.params.spec, snakemake.params.sensors
truth = read_raster(snakemake.input[0])
role = next(r for r in ("fine", "ms", "hs") if spec[f"{r}_sensor"] == w.sensor)
ratio = {"fine": 1, "ms": spec["ms_ratio"], "hs": spec["hs_ratio"]}[role]
centres = np.array([band.centre_nm for band in load_sensor(spec["hs_sensor"], sensors).bands])
target = load_sensor(w.sensor, sensors)
weights = None if role == "hs" else spectral_weights(centres, target)
image = observe(truth.data, weights, ratio, spec["degradation"])
names = truth.names if role == "hs" else target.band_names
tags = {"site": w.site, "date": w.date, "sensor": w.sensor, "stage": "simulated observation (Peng et al., Dataset I)"}
write_cog(snakemake.output[0], image, truth.crs, truth.transform * Affine.scale(ratio), names, tags)
log.info("%s %s (%s, ratio %d) simulated from %s", w.sensor, w.date, role, ratio, snakemake.input[0])
