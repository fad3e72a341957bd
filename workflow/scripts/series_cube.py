"""Rule series_cube: one method's prediction COGs (and quality and uncertainty COGs, where they exist) as a Zarr cube."""
from stfusion.runlog import log_to
from stfusion.series.cube import write_cube

log = log_to(snakemake.log[0])
files = snakemake.params.files
like = snakemake.input.like[0] if snakemake.input.like else None
write_cube(snakemake.output[0], files["predictions"], files["qualities"], snakemake.params.tile, like,
           files["uncertainties"])
log.info("%s %s: %d dates, %d with quality", snakemake.wildcards.site, snakemake.wildcards.method,
         len(files["predictions"]), len(files["qualities"]))
