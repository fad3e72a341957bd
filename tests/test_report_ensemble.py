"""The report's cross-validation tables and the ensemble's files (stfusion.report.ensemble,
stfusion.ensemble.weights_file, stfusion.ensemble.quality) on small tables and arrays."""
from __future__ import annotations

import numpy as np
import pandas as pd

from stfusion.ensemble.quality import ensemble_quality
from stfusion.ensemble.stacking import DateWeights
from stfusion.ensemble.weights_file import EnsembleWeights
from stfusion.report.ensemble import ensembles_html, load_ensembles

DATES = ["2021-01-01", "2021-02-01", "2021-03-01"]


def cross_validation(path):
    """a and b hold out every date, stack the first two (its fitting dates); b is twice a's RMSE, stack 0.9 a's."""
    rows = []
    for method, scale in (("a", 1.0), ("b", 2.0), ("stack", 0.9)):
        for k, date in enumerate(DATES):
            role = "training" if method == "stack" and k == 2 else "held_out"
            for band, value in (("red", 0.01), ("nir", 0.03), ("all", 0.02)):
                rows.append({"method": method, "date": date, "band": band, "rmse": scale * value * (k + 1),
                             "role": role, "common": k < 2})
    pd.DataFrame(rows).to_csv(path, sep="\t", index=False)


def fitted(path):
    weights = DateWeights(np.array([[0.75, 0.25], [1.0, 0.0]]),
                          {DATES[0]: np.array([[0.5, 0.5], [1.0, 0.0]]), DATES[1]: np.array([[1.0, 0.0], [0.6, 0.4]])})
    result = EnsembleWeights("stack", "ensemble", ["a", "b"], ["red", "nir"], DATES[:2], {"a": 0.03, "b": 0.06}, weights)
    path.write_text(result.to_json())
    return result


def test_the_weights_file_reads_back_as_written(tmp_path):
    written = fitted(tmp_path / "weights.json")
    read = EnsembleWeights.from_json(tmp_path / "weights.json")
    assert read.members == written.members and read.fitting_dates == DATES[:2]
    assert np.array_equal(read.weights.all_dates, written.weights.all_dates)
    assert np.array_equal(read.weights.of(DATES[1]), [[1.0, 0.0], [0.6, 0.4]])
    assert np.array_equal(read.weights.of(DATES[2]), written.weights.all_dates)  # not a fitting date


def test_the_report_shows_the_cross_validated_rmse_per_band_and_the_weights(tmp_path):
    cross_validation(tmp_path / "cv.tsv")
    fitted(tmp_path / "weights.json")
    tables = load_ensembles(str(tmp_path / "cv.tsv"), {"stack": str(tmp_path / "weights.json")})
    # the mean over the two common held-out dates: (1 + 2) / 2 x the date-1 value
    assert list(tables.scores.columns) == ["nir", "red", "all"]
    assert np.allclose(tables.scores.loc["b"], [0.09, 0.03, 0.06]) and np.allclose(tables.scores.loc["stack", "all"], 0.027)
    weights = tables.weights["stack"]
    assert weights.loc["a"].tolist() == [0.75, 1.0, 0.03] and weights.loc["b"].tolist() == [0.25, 0.0, 0.06]
    assert "Held-out RMSE there: 0.0270, best member a 0.0300" in tables.captions["stack"]
    html = ensembles_html(tables)
    assert "Weights of stack" in html and "<td class=\"n\">0.750</td>" in html and "<b>0.0270</b>" in html


def test_the_quality_takes_the_nearest_reference_of_the_members_with_a_weight():
    nan = np.nan
    coarse = np.array([[[0.0, 1.0, nan]], [[0.0, 3.0, nan]]])  # coarse_state, coarse_days_to_clear (1 x 3 pixels)
    days = {"near": [[2.0, -1.0, nan]], "far": [[8.0, 5.0, nan]], "unused": [[1.0, 1.0, nan]]}
    members = np.stack([np.concatenate([coarse, [d]]) for d in days.values()])
    weights = np.array([[0.5, 0.5, 0.0], [0.2, 0.8, 0.0]])  # bands x members: `unused` has no weight
    quality = ensemble_quality(members, weights)
    assert np.array_equal(quality[:2], coarse, equal_nan=True)
    assert np.array_equal(quality[2], [[2.0, 5.0, nan]], equal_nan=True)  # -1 of `near` gives way to `far`
    alone = ensemble_quality(members, np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]))
    assert np.array_equal(alone[2], [[2.0, -1.0, nan]], equal_nan=True)  # no clear reference: -1
