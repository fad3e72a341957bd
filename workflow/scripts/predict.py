"""Rule predict: every date of one reference group of a method, predicted from the references read once
(stfusion.predict_group), each with its quality COG, written into the group's folder one date at a time."""
from pathlib import Path

import numpy as np

from stfusion.io import read_raster, read_stack, write_cog
from stfusion.predict_group import DateInputs, Group, predict_group
from stfusion.quality_band import DESCRIPTION, QUALITY_BANDS
from stfusion.runlog import log_to
from stfusion.threads import use_threads

log = log_to(snakemake.log[0])
w, params = snakemake.wildcards, snakemake.params
use_threads(snakemake.threads)
first_ref = read_raster(snakemake.input.fine_refs[0])
fine_refs = np.stack([first_ref.data] + [read_stack(p) for p in snakemake.input.fine_refs[1:]])
coarse_refs = np.stack([read_stack(p) for p in snakemake.input.coarse_refs])
group = Group(w.method, params.method, fine_refs, coarse_refs, params.references)
files = dict(zip(params.dates, zip(snakemake.input.coarse, snakemake.input.fill)))


def read_date(date: str) -> DateInputs:
    coarse, fill = files[date]
    return DateInputs(read_stack(coarse), read_stack(fill))


folder = Path(snakemake.output[0])
folder.mkdir(parents=True, exist_ok=True)
log.info("%s: %d dates from references %s", w.method, len(params.dates), params.references)
for done in predict_group(group, params.dates, read_date, prediction=params.prediction, device=params.device,
                          weights=snakemake.input.get("weights"), log=log):
    tags = {"site": w.site, "date": done.date, "stage": "prediction", "method": w.method,
            "model": params.method["model"], "reference_dates": ",".join(params.references),
            "sensor": params.fine_sensor}
    write_cog(folder / f"{done.date}.tif", done.prediction, first_ref.crs, first_ref.transform, first_ref.names, tags)
    write_cog(folder / f"{done.date}_quality.tif", done.quality, first_ref.crs, first_ref.transform,
              list(QUALITY_BANDS), {**tags, "stage": "quality", "bands": DESCRIPTION})
    if done.from_coarse:
        log.info("%s %s: %d pixels without a usable fine reference take the coarse image", w.method, done.date,
                 done.from_coarse)
    log.info("%s %s written", w.method, done.date)
