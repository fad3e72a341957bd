"""Rule ensemble_predict: every date of an ensemble, its members' predictions of the date combined with the date's
weights (stfusion.ensemble.stacking.combine: fitted without the date where it is a fitting date), with its quality
COG (stfusion.ensemble.quality), written into the ensemble's folder one date at a time."""
from pathlib import Path

import numpy as np

from stfusion.ensemble.quality import ensemble_quality
from stfusion.ensemble.stacking import combine
from stfusion.ensemble.weights_file import EnsembleWeights
from stfusion.io import read_raster, read_stack, write_cog
from stfusion.quality_band import DESCRIPTION, QUALITY_BANDS
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
w, params, inputs = snakemake.wildcards, snakemake.params, snakemake.input
fitted = EnsembleWeights.from_json(inputs.weights)
folder = Path(snakemake.output[0])
folder.mkdir(parents=True, exist_ok=True)
count = len(fitted.members)  # the inputs: date by date, member by member
for i, date in enumerate(params.dates):
    members = [read_raster(path) for path in inputs.predictions[i * count:(i + 1) * count]]
    weights = fitted.weights.of(date)
    used = [raster for raster, weight in zip(members, weights.max(axis=0)) if weight > 0]
    references = sorted({d for raster in used for d in raster.tags["reference_dates"].split(",")})
    prediction = combine(np.stack([raster.data for raster in members]), weights)
    quality = ensemble_quality(np.stack([read_stack(path) for path in inputs.qualities[i * count:(i + 1) * count]]),
                               weights)
    first = members[0]
    tags = {"site": w.site, "date": date, "stage": "prediction", "method": w.method, "model": fitted.model,
            "members": ",".join(fitted.members), "reference_dates": ",".join(references),
            "sensor": first.tags["sensor"],
            "weights": "fitted without this date" if date in fitted.weights.without else "fitted on every fitting date"}
    write_cog(folder / f"{date}.tif", prediction, first.crs, first.transform, first.names, tags)
    write_cog(folder / f"{date}_quality.tif", quality, first.crs, first.transform, list(QUALITY_BANDS),
              {**tags, "stage": "quality", "bands": DESCRIPTION})
    log.info("%s %s written (%s)", w.method, date, tags["weights"])
