"""Rule quality: cloud/shadow/nodata fractions, out-of-range counts, the keep/drop decision, and the masked scene."""
import json
from dataclasses import asdict

import rasterio

from stfusion.io import read_raster, write_cog, write_text
from stfusion.qa import assess, mask_obscured, thresholds
from stfusion.runlog import log_to
from stfusion.sensors import read_sensors
from stfusion.value_range import handle_out_of_range

log = log_to(snakemake.log[0])
w = snakemake.wildcards
scene = read_raster(snakemake.input.reflectance)
with rasterio.open(snakemake.input.flags) as src:
    flags = src.read(1)
sensor = read_sensors(snakemake.input.sensors)[w.sensor]
settings = snakemake.params.quality["out_of_range"]
data, flags, counts = handle_out_of_range(scene.data, flags, sensor.value_range, settings)
limits = thresholds(snakemake.params.quality, w.sensor, snakemake.params.ratio)
report = assess(flags, **limits)
tags = {"site": w.site, "sensor": w.sensor, "date": w.date, "stage": "clean", "kept": report.kept}
write_cog(snakemake.output.clean, mask_obscured(data, flags), scene.crs, scene.transform, scene.names, tags)
write_text(snakemake.output.report, json.dumps({"site": w.site, "sensor": w.sensor, "date": w.date, **asdict(report),
                                                **counts}, indent=2))
if counts["below_range_pixels"] or counts["above_range_pixels"]:
    log.warning("%s %s %s: %d pixels below and %d above %s by more than %g (%s, quality.out_of_range.action)",
                w.site, w.sensor, w.date, counts["below_range_pixels"], counts["above_range_pixels"],
                list(sensor.value_range), settings["tolerance"], settings["action"])
log.info("%s %s %s: %s (%s)", w.site, w.sensor, w.date, "kept" if report.kept else "dropped", report.reason)
