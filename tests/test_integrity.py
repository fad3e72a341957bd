"""Nothing silently wrong (issue 27, item 3): a damaged artefact (weights, checkpoint, patch set) stops the job that
reads it with a message naming the file and what to rerun; a file whose pickle would run code is never loaded; a
prediction that is NaN wherever its inputs are valid, or a score table that is all empty, is an error."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from stfusion.artefacts import load_model, save_model
from stfusion.errors import InputDataError
from stfusion.evaluation import require_scores
from stfusion.models import build_model
from stfusion.patches import ARRAYS, load_patches, save_patches
from stfusion.predict import require_predicted, valid_inputs
from stfusion.torch_artefact import load_artefact, save_artefact
from stfusion.train import TrainingSettings, fit


def flip_bytes(path: Path, count: int = 64) -> None:
    """Invert ``count`` bytes in the middle of the file; its size is unchanged."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + count] = bytes(b ^ 0xFF for b in data[middle : middle + count])
    path.write_bytes(bytes(data))


def test_flipped_bytes_in_model_weights_stop_loading_with_the_file_and_the_rule(tmp_path):
    torch.manual_seed(0)
    model = build_model("stfnet", channels=2, ratio=2)
    path = tmp_path / "weights.pt"
    save_model(path, "stfnet", 2, 2, {}, model.state_dict(), kept_epoch=3)
    loaded = load_model(path)
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))
    flip_bytes(path)
    with pytest.raises(InputDataError, match=rf"{path} is damaged: .*rule train .*snakemake --cores 1 {path}"):
        load_model(path)


def test_flipped_bytes_in_a_checkpoint_stop_training_with_the_file(tmp_path):
    data = {"x": torch.rand(4, 2, generator=torch.Generator().manual_seed(0)), "y": torch.rand(4, 1)}
    settings = TrainingSettings(epochs=1, lr=1e-2, batch_size=4, seed=0, device="cpu", mixed_precision=False)

    def loss(module, batch):
        return torch.nn.functional.mse_loss(module(batch["x"]), batch["y"])

    checkpoint = tmp_path / "checkpoint.pt"
    fit(torch.nn.Linear(2, 1), loss, data, data, settings, checkpoint, "key")
    assert load_artefact(checkpoint, "")["epoch"] == 1
    flip_bytes(checkpoint)
    with pytest.raises(InputDataError, match=rf"{checkpoint} .*training restarts from its first epoch"):
        fit(torch.nn.Linear(2, 1), loss, data, data, settings, checkpoint, "key")


def patch_set(validation: list[bool]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    arrays = {name: rng.random((len(validation), 2, 4, 4), dtype=np.float32) for name in ARRAYS}
    return arrays | {"group": np.array(["2021-05-15:2021-05-01"] * len(validation)), "validation": np.array(validation)}


def test_a_damaged_or_edited_patch_set_stops_loading_with_the_file_and_the_rule(tmp_path):
    path, arrays = tmp_path / "1ref.npz", patch_set([False, False, True])
    save_patches(path, arrays)
    train, validation = load_patches(path)
    np.testing.assert_array_equal(validation["target"].numpy(), arrays["target"][2:])
    edited = dict(np.load(path))
    edited["target"][0, 0, 0, 0] += 0.5  # an edit that keeps the zip valid and the recorded digest
    np.savez(path, **edited)
    with pytest.raises(InputDataError, match=rf"{path} is damaged: .*rerun the rule patches"):
        load_patches(path)
    save_patches(path, arrays)
    flip_bytes(path)
    with pytest.raises(InputDataError, match=rf"{path} .*rerun the rule patches"):
        load_patches(path)


class RunsCode:
    """An object whose unpickling calls ``Path.touch(marker)``: what a swapped ``.pt`` file could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def test_a_file_whose_pickle_would_run_code_is_refused_and_runs_nothing(tmp_path):
    marker, swapped, sealed = tmp_path / "ran", tmp_path / "swapped.pt", tmp_path / "sealed.pt"
    torch.save({"model": RunsCode(marker)}, swapped)  # a plain torch file
    save_artefact(sealed, {"model": RunsCode(marker)})  # with a valid digest: only weights_only stops it
    with pytest.raises(InputDataError, match=rf"{swapped} cannot be read .*rerun the rule train"):
        load_model(swapped)
    with pytest.raises(InputDataError, match=rf"{sealed} holds objects other than tensors .*rerun the rule train"):
        load_model(sealed)
    assert not marker.exists()


def test_a_prediction_nan_wherever_its_inputs_are_valid_is_an_error():
    fine_refs, coarse_refs, coarse_t1 = np.ones((1, 2, 4, 4)), np.ones((1, 2, 2, 2)), np.ones((2, 2, 2))
    coarse_t1[:, 0, 0] = np.nan
    fine_refs[0, 1, 3, 3] = np.nan
    valid = valid_inputs(fine_refs, coarse_refs, coarse_t1, 2)
    assert valid.sum() == 16 - 4 - 1 and not valid[:2, :2].any() and not valid[3, 3]
    prediction = np.where(valid, np.nan, 0.5)[None].repeat(2, axis=0)  # values only where the inputs are missing
    with pytest.raises(InputDataError, match="the m prediction of 2021-05-15 is NaN at all 11 pixels .*: rerun it"):
        require_predicted(prediction, valid, "the m prediction of 2021-05-15", "rerun it")
    prediction[1, 2, 2] = 0.1  # one value where the inputs are valid
    require_predicted(prediction, valid, "the m prediction of 2021-05-15", "rerun it")
    require_predicted(np.full((2, 4, 4), np.nan), np.zeros((4, 4), bool), "nothing valid to predict", "")


def test_scores_that_are_all_empty_are_an_error_naming_the_prediction():
    with pytest.raises(InputDataError, match="every score of the prediction p.tif against t.tif is empty .*predict"):
        require_scores([np.nan, float("nan")], "p.tif", "t.tif", "predict")
    require_scores([np.nan, 0.02], "p.tif", "t.tif", "predict")
