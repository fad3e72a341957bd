"""Rule sts_predict: the fine hyperspectral image of one MS date by one method, from the date's own scenes
and references (the series plan) and, for a trained method, its model."""

from stfusion.io import write_cog
from stfusion.runlog import log_to
from stfusion.sts import TrainedSTS
from stfusion.sts.naive import nearest_hs
from stfusion.sts.resample import day_numbers
from stfusion.sts.series import ROLES, read_series, series_sensors, srf_matrices
from stfusion.sts.two_stage import TwoStageModel, predict_two_stage
from stfusion.train import resolve_device
from stfusion.threads import use_threads

log = log_to(snakemake.log[0])
w, spec, method = snakemake.wildcards, snakemake.params.spec, snakemake.params.method
use_threads(snakemake.threads)
sensors = series_sensors(spec, snakemake.params.sensors)
series, grid, hs = read_series({r: snakemake.input[r] for r in ROLES}, snakemake.params.dates,
                               {r: s.band_names for r, s in sensors.items()})
day = float(day_numbers([w.date])[0])
if method["model"] == "stsmtl":
    cube = TrainedSTS.load(snakemake.input.model, series).predict(day)
elif method["model"] == "hs_nearest":
    cube = nearest_hs(series, day)
else:
    cube = predict_two_stage(TwoStageModel.load(snakemake.input.model), series, day, srf_matrices(sensors)[0],
                             block=snakemake.params.block, device=resolve_device(snakemake.params.device),
                             seed=snakemake.params.seed)
tags = {"site": w.site, "date": w.date, "stage": "prediction", "method": w.method, "model": method["model"],
        "sensor": spec["hs_sensor"]}
write_cog(snakemake.output[0], cube, grid.crs, grid.transform, hs.names, tags)
log.info("%s %s predicted from %s", w.method, w.date, snakemake.params.dates)
