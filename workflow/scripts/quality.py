"""Rule quality: cloud/shadow/nodata fractions, the keep/drop decision, and the cloud-masked scene."""
import json
from dataclasses import asdict

import rasterio

from stfusion.io import read_raster, write_cog, write_text
from stfusion.qa import assess, mask_obscured, thresholds
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
w = snakemake.wildcards
scene = read_raster(snakemake.input.reflectance)
with rasterio.open(snakemake.input.flags) as src:
    flags = src.read(1)
limits = thresholds(snakemake.params.quality, w.sensor, snakemake.params.ratio)
report = assess(flags, **limits)
tags = {"site": w.site, "sensor": w.sensor, "date": w.date, "stage": "clean", "kept": report.kept}
write_cog(snakemake.output.clean, mask_obscured(scene.data, flags), scene.crs, scene.transform, scene.names, tags)
write_text(snakemake.output.report, json.dumps({"site": w.site, "sensor": w.sensor, "date": w.date, **asdict(report)}, indent=2))
log.info("%s %s %s: %s (%s)", w.site, w.sensor, w.date, "kept" if report.kept else "dropped", report.reason)
