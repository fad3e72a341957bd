"""Rule catalogue: check every raw scene of a site, then write its catalogue and grid."""
from stfusion.alignment import alignment_warnings
from stfusion.grid import SiteGrid
from stfusion.ingest import catalogue_site
from stfusion.io import write_text
from stfusion.runlog import log_to
from stfusion.sensors import read_sensors

log = log_to(snakemake.log[0])
site, spec = snakemake.wildcards.site, snakemake.params.site
grid = SiteGrid(**snakemake.params.grid)
table = catalogue_site(snakemake.params.rows, read_sensors(snakemake.input.sensors), grid, site, spec)
for warning in alignment_warnings(table, grid, site):
    log.warning(warning)
grid.to_json(snakemake.output.grid)
write_text(snakemake.output.catalogue, table.to_csv(sep="\t", index=False))
log.info("site %s: %d scenes checked; grid %s, %d x %d pixels of %s m", site, len(table), grid.crs, grid.width, grid.height, grid.pixel_size)
