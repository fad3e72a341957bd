"""Rule pairing: pair dates, training groups with their split (of each validation target only the group its
prediction uses), prediction groups for 1 and 2 references over the dates to predict (the usable coarse dates and the
site's schedule, stfusion.schedule), and each coarse scene's masked fraction (the gap filling's inputs)."""
import json

import pandas as pd

from stfusion.gapfill import filling_scenes, usable_dates
from stfusion.io import write_text
from stfusion.pairing import (as_predicted, as_records, coarse_masked, pair_dates, prediction_groups, split_groups,
                              training_groups)
from stfusion.runlog import log_to
from stfusion.schedule import schedule_dates

log = log_to(snakemake.log[0])
fusion, pairing = snakemake.params.fusion, snakemake.params.pairing
inventory = pd.read_csv(snakemake.input[0], sep="\t", dtype={"date": str})
pairs = pair_dates(inventory, fusion["fine"], fusion["coarse"])
masked = coarse_masked(inventory, fusion["coarse"])
coarse_dates = sorted(usable_dates(masked, snakemake.params.max_masked))
scheduled = schedule_dates(snakemake.params.series, coarse_dates)
gap = snakemake.params.gap_filling
schedule = [d for d in scheduled if filling_scenes(d, masked, gap["max_gap_days"], snakemake.params.max_masked)]
if len(schedule) < len(scheduled):  # the scene table has a coarse scene in reach of each (schedule.check_series)
    log.warning("scheduled dates left out, no usable coarse scene within gap_filling.max_gap_days: %s",
                sorted(set(scheduled) - set(schedule)))
log.info("%d of %d coarse scenes usable for gap filling; %d scheduled dates", len(coarse_dates), len(masked),
         len(schedule))
references = {}
for count in (1, 2):
    train, held = split_groups(training_groups(pairs, pairing["window_days"], count), pairing["validation_fraction"], snakemake.params.seed)
    validation = as_predicted(held, pairs, pairing["window_days"], count)
    predict = prediction_groups(set(coarse_dates) | set(schedule), pairs, pairing["window_days"], count)
    references[str(count)] = {"training": as_records(train), "validation": as_records(validation), "prediction": as_records(predict)}
    log.info("%d reference(s): %d training, %d validation, %d prediction groups", count, len(train), len(validation), len(predict))
table = {**fusion, "pairs": pairs, "coarse_dates": coarse_dates, "schedule": schedule, "coarse_masked": masked,
         "references": references}
write_text(snakemake.output[0], json.dumps(table, indent=2))
