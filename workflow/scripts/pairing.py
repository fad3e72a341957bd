"""Rule pairing: pair dates, training groups with their split (of each validation target only the group its
prediction uses), and prediction groups, for 1 and 2 references."""
import json

import pandas as pd

from stfusion.io import write_text
from stfusion.pairing import as_predicted, as_records, pair_dates, prediction_groups, split_groups, training_groups
from stfusion.runlog import log_to

log = log_to(snakemake.log[0])
fusion, pairing = snakemake.params.fusion, snakemake.params.pairing
inventory = pd.read_csv(snakemake.input[0], sep="\t", dtype={"date": str})
pairs = pair_dates(inventory, fusion["fine"], fusion["coarse"])
kept = inventory[inventory.kept.astype(str).str.lower() == "true"]
coarse_dates = sorted(kept[kept.sensor == fusion["coarse"]].date)
references = {}
for count in (1, 2):
    train, held = split_groups(training_groups(pairs, pairing["window_days"], count), pairing["validation_fraction"], snakemake.params.seed)
    validation = as_predicted(held, pairs, pairing["window_days"], count)
    predict = prediction_groups(coarse_dates, pairs, pairing["window_days"], count)
    references[str(count)] = {"training": as_records(train), "validation": as_records(validation), "prediction": as_records(predict)}
    log.info("%d reference(s): %d training, %d validation, %d prediction groups", count, len(train), len(validation), len(predict))
table = {**fusion, "pairs": pairs, "coarse_dates": coarse_dates, "references": references}
write_text(snakemake.output[0], json.dumps(table, indent=2))
