"""Rule catalogue: check every raw scene of a site, then write its catalogue and grid."""
from stfusion.config import site_grid, site_sensors
from stfusion.ingest import catalogue_site
from stfusion.io import write_text
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
site = snakemake.wildcards.site
grid = site_grid(snakemake.config, site)
table = catalogue_site(snakemake.params.rows, site_sensors(snakemake.config, site), grid, site, snakemake.params.site)
grid.to_json(snakemake.output.grid)
write_text(snakemake.output.catalogue, table.to_csv(sep="\t", index=False))
log.info("site %s: %d scenes checked; grid %s, %d x %d pixels of %s m", site, len(table), grid.crs, grid.width, grid.height, grid.pixel_size)
