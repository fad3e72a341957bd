"""Rule sts_predict: the fine hyperspectral image of one MS date by one method, from the date's own scenes
and references (the series plan): the fitted method saved by sts_train, or a method that learns nothing built
from the config."""

from stfusion.integrity import rerun_hint
from stfusion.io import write_cog
from stfusion.predict import require_predicted
from stfusion.runlog import log_to
from stfusion.sts.method import SRF, sts_method
from stfusion.sts.resample import day_numbers
from stfusion.sts.series import ROLES, read_series, series_sensors, srf_matrices
from stfusion.threads import use_threads

log = log_to(snakemake.log[0])
w, spec, method = snakemake.wildcards, snakemake.params.spec, snakemake.params.method
use_threads(snakemake.threads)
sensors = series_sensors(spec, snakemake.params.sensors)
series, grid, hs = read_series({r: snakemake.input[r] for r in ROLES}, snakemake.params.dates,
                               {r: s.band_names for r, s in sensors.items()})
model = sts_method(method, spec, snakemake.params.config)
if "model" in snakemake.input.keys():
    model.load_fitted(snakemake.input.model)
    fix = (f"its fitted model {snakemake.input.model} predicts nothing (damaged, or a training that diverged): "
           f"{rerun_hint(snakemake.input.model, 'sts_train')}")
else:
    fix = f"the method gives no value there: check `sts_methods.{w.method}` in the config"
cube = model.predict(series, SRF(*srf_matrices(sensors)), float(day_numbers([w.date])[0]))
require_predicted(cube, series.valid_pixels(), f"the {w.method} prediction of {w.date}", fix)
tags = {"site": w.site, "date": w.date, "stage": "prediction", "method": w.method, "model": method["model"],
        "sensor": spec["hs_sensor"]}
write_cog(snakemake.output[0], cube, grid.crs, grid.transform, hs.names, tags)
log.info("%s %s predicted from %s", w.method, w.date, snakemake.params.dates)
