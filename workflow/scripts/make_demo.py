"""Rule demo: generate the built-in demo's raw scenes and truth."""
from stfusion.demo.products import write_demo
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
out_dir, layout = snakemake.params.out_dir, snakemake.params.layout
write_demo(out_dir, layout)
log.info("demo written to %s (layout %s)", out_dir, layout)
