"""Rule summary: methods x metrics over the dates every method of a site holds out (as in the tables of Tan et al.
2019), each method over its own held-out and validation dates, and the cross-validation table (each method's RMSE
per scored date and band, stfusion.cross_validation)."""
import pandas as pd

from stfusion.cross_validation import cross_validation_table
from stfusion.evaluation import TRAINING, TRAINING_JOB, VALIDATION, common_held_out_dates, own_dates_summary, summary
from stfusion.io import write_text
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
scores = pd.concat([pd.read_csv(path, dtype={"date": str}) for path in snakemake.input], ignore_index=True)
dates = common_held_out_dates(scores)
if dates:
    log.info("dates held out by every method (the summary's means): %s", ", ".join(dates))
else:
    log.warning("no date is held out by every method: summary.tsv has no scores; %s has each method over its own "
                "dates", snakemake.output.own_dates)
for method, group in scores[scores.role.isin([TRAINING, VALIDATION]) & (scores.date != TRAINING_JOB)].groupby("method"):
    log.info("%s is not held out on its %s", method,
             "; ".join(f"{role} targets {', '.join(sorted(set(g.date)))}" for role, g in group.groupby("role")))
table = summary(scores)
write_text(snakemake.output.summary, table.to_csv(sep="\t", float_format="%.4f"))
own = own_dates_summary(scores)
write_text(snakemake.output.own_dates, own.to_csv(sep="\t", float_format="%.4f"))
log.info("\n%s\n\nover each method's own dates:\n%s", table.to_string(float_format=lambda v: f"{v:.4f}"),
         own.to_string(float_format=lambda v: f"{v:.4f}"))
write_text(snakemake.output.cross_validation,
           cross_validation_table(scores).to_csv(sep="\t", index=False, float_format="%.6f"))
