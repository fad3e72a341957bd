"""Rule uncertainty: the 90 % half-width map of every prediction of one method (stfusion.uncertainty.method), one COG
per date in the job's folder, with the prediction's grid and band names."""
from pathlib import Path

from stfusion.io import atomic_directory, write_cog
from stfusion.runlog import log_to
from stfusion.uncertainty import WRITTEN_LEVEL
from stfusion.uncertainty.date_files import DateFiles, SiteScenes, read_date
from stfusion.uncertainty.method import half_width_map, model_of_date

log = log_to(snakemake.log[0])
w, params = snakemake.wildcards, snakemake.params
scenes = SiteScenes(params.scenes["fine"], params.scenes["coarse"], params.scenes["ratio"])
with atomic_directory(snakemake.output[0]) as folder:
    for date, files in params.dates.items():
        model, which = model_of_date(date, snakemake.input.model, snakemake.input.leave_one_out)
        prediction, features = read_date(DateFiles.from_mapping(date, files), scenes)
        tags = {**prediction.tags, "stage": "uncertainty", "level": WRITTEN_LEVEL, "calibration": which,
                "description": f"half-width of the {WRITTEN_LEVEL:.0%} interval around the prediction, per band"}
        write_cog(Path(folder) / f"{date}.tif", half_width_map(model, features, prediction), prediction.crs,
                  prediction.transform, prediction.names, tags)
        log.info("%s %s: %s", w.method, date, which)
