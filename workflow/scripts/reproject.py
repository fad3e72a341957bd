"""Rule reproject: a raw scene onto its sensor's grid of the site, as reflectance and QA flags."""
from stfusion.grid import SiteGrid
from stfusion.ingest import scene_qa, scene_storage, site_products
from stfusion.io import write_cog
from stfusion.qa import NO_QA, NODATA, decode_qa, scene_flags
from stfusion.reproject import warp_qa, warp_reflectance
from stfusion.runlog import log_to
from stfusion.sensors import read_sensors

log = log_to(snakemake.log[0])
w = snakemake.wildcards
spec = snakemake.params.site
row = snakemake.params.row
grid = SiteGrid.from_json(snakemake.input.grid)
ratio = grid.ratio(w.sensor)
sensor = read_sensors(snakemake.input.sensors)[w.sensor]
product, = site_products([row], {w.sensor: sensor}, spec, w.site)
storage = scene_storage(product, sensor, spec, w.site)
reflectance = warp_reflectance(product, sensor, storage, grid, ratio, snakemake.params.upsampling)
qa_path, qa_kind = scene_qa(row, product, sensor, spec)
qa_flags = decode_qa(warp_qa(qa_path, grid, ratio), qa_kind) if qa_path else None
flags = scene_flags(reflectance, qa_flags)
no_qa = ((flags & NO_QA) > 0) & ((flags & NODATA) == 0)
if no_qa.any():
    log.warning("%s %s %s: QA file %s has no value for %.1f%% of the site where the scene has data: those pixels "
                "count as nodata (unknown), not as clear", w.site, w.sensor, w.date, qa_path, 100 * no_qa.mean())
tags = {"site": w.site, "sensor": w.sensor, "date": w.date, "stage": "grid", "source": row["path"]}
write_cog(snakemake.output.reflectance, reflectance, grid.crs, grid.transform(ratio), sensor.band_names, tags)
write_cog(snakemake.output.flags, flags[None], grid.crs, grid.transform(ratio), ["qa_flags"], tags, nodata=None)
log.info("%s %s %s: %s (%s) -> %s at ratio %d", w.site, w.sensor, w.date, row["path"], product.family, grid.crs, ratio)
