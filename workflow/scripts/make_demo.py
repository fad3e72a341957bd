"""Rule demo: generate the built-in demo's raw scenes and truth."""
from stfusion.demo.products import write_demo
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
out_dir = snakemake.config["demo"]["out_dir"]
write_demo(out_dir)
log.info("demo written to %s", out_dir)
