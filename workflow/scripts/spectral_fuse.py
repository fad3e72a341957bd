"""Rule spectral_fuse: one spectral super-resolution method by Wald's protocol on a real HS and MS pair."""
import json
import time
from pathlib import Path

import numpy as np

from stfusion.io import read_raster, write_cog, write_text
from stfusion.predict import require_predicted
from stfusion.runlog import log_to
from stfusion.sensors import read_sensors
from stfusion.simulate import spectral_weights
from stfusion.spectral.method import spectral_method
from stfusion.spectral.wald import bands_of, wald_predict
from stfusion.threads import use_threads

log = log_to(snakemake.log[0])
w, spec = snakemake.wildcards, snakemake.params.spec
use_threads(snakemake.threads)  # torch, numba and NumPy's BLAS (CNMF)
hs, ms = read_raster(snakemake.input.hs), read_raster(snakemake.input.ms)
sensors = read_sensors(snakemake.input.sensors)
hs_bands = bands_of(sensors[spec["hs_sensor"]], hs.names, snakemake.input.hs)
ms_bands = bands_of(sensors[spec["ms_sensor"]], ms.names, snakemake.input.ms)
srf = spectral_weights(np.array([band.centre_nm for band in hs_bands.bands]), ms_bands)
method = spectral_method(w.method, spec["srecnn"], spec["degradation"], snakemake.params.config)
start = time.perf_counter()
cube = wald_predict(method, hs.data, ms.data, srf, spec["ratio"], Path(snakemake.output.prediction).with_suffix(".pt"))
seconds = time.perf_counter() - start
valid = np.isfinite(hs.data).all(axis=0) & np.isfinite(ms.data).all(axis=0)  # Wald's protocol: one grid
require_predicted(cube, valid, f"the {w.method} prediction of site {w.site}",
                  f"the method gives no value there: check `sites.{w.site}.spectral` in the config")
tags = {"site": w.site, "stage": "prediction", "method": w.method, "protocol": f"Wald, HS degraded by {spec['ratio']}",
        "sensor": spec["hs_sensor"]}
write_cog(snakemake.output.prediction, cube, hs.crs, hs.transform, hs.names, tags)
write_text(snakemake.output.run, json.dumps({"seconds": seconds}))
log.info("%s: %d bands of %d x %d pixels in %.1f s", w.method, *cube.shape, seconds)
