"""The cross-validation table (stfusion.cross_validation, issue 26) from the tidy scores of the metrics CSVs: one RMSE
row per method, scored date and band with its role, the dates every method holds out marked, and the
cross-validated RMSE equal to summary.tsv's."""
import pandas as pd

from stfusion.cross_validation import TABLE_COLUMNS, cross_validated_rmse, cross_validation_table, rmse_by_date
from stfusion.evaluation import HELD_OUT, SCORE_COLUMNS, TRAINING, TRAINING_JOB, VALIDATION, summary

DATES = ["2021-04-03", "2021-05-01", "2021-06-26", "2021-08-07"]


def scores() -> pd.DataFrame:
    """fsdaf holds out every date; edcstfn trained on the first and validated on the second, and has its training
    job's rows; both have MAE rows besides RMSE, per band and band-averaged."""
    roles = {"fsdaf": [HELD_OUT] * 4, "edcstfn": [TRAINING, VALIDATION, HELD_OUT, HELD_OUT]}
    rows = []
    for m, (method, method_roles) in enumerate(roles.items()):
        for d, (date, role) in enumerate(zip(DATES, method_roles)):
            for band, value in (("red", 0.01), ("nir", 0.03), ("all", 0.02)):
                for metric in ("rmse", "mae"):
                    rows.append({"site": "demo", "method": method, "date": date, "references": "", "role": role,
                                 "band": band, "metric": metric, "value": value * (1 + m + d / 10)})
    rows.append({"site": "demo", "method": "edcstfn", "date": TRAINING_JOB, "references": "", "role": TRAINING,
                 "band": "all", "metric": "seconds", "value": 12.0})
    return pd.DataFrame(rows, columns=SCORE_COLUMNS)


def test_the_table_has_each_rmse_with_its_role_and_the_common_dates():
    table = cross_validation_table(scores())
    assert list(table.columns) == TABLE_COLUMNS
    assert len(table) == 2 * 4 * 3 and set(table.date) == set(DATES)  # RMSE rows only, no training job
    edcstfn = table[(table.method == "edcstfn") & (table.band == "all")].set_index("date")
    assert list(edcstfn.role) == [TRAINING, VALIDATION, HELD_OUT, HELD_OUT]
    assert edcstfn.loc["2021-05-01", "rmse"] == 0.02 * 2.1
    assert sorted(set(table[table.common].date)) == DATES[2:]  # edcstfn does not hold out the first two


def test_the_cross_validated_rmse_is_summary_tsvs():
    table = cross_validation_table(scores())
    by_date = rmse_by_date(table)
    assert list(by_date.index) == DATES[2:] and sorted(by_date.columns) == ["edcstfn", "fsdaf"]
    pd.testing.assert_series_equal(cross_validated_rmse(table), summary(scores()).rmse, check_names=False)
    assert rmse_by_date(table, "nir").loc["2021-06-26", "fsdaf"] == 0.03 * 1.2
