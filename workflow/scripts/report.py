"""Rule report: the run's self-contained HTML report of every site."""
from stfusion.io import write_text
from stfusion.report import build_report
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
page = build_report(snakemake.params.sites, snakemake.params.sensors)
write_text(snakemake.output[0], page)
log.info("report of %d site(s): %s (%.1f MB)", len(snakemake.params.sites), snakemake.output[0], len(page) / 1e6)
