"""Incremental and interrupted runs of the default config, on copies of the finished run: a new coarse scene
re-runs only its own jobs, and a run killed in training or prediction resumes to the same outputs."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from conftest import REPO, copy_run, dry_run_jobs, job_env, snakemake
from stfusion.io import read_raster, read_stack
from stfusion.schedule import method_dates
from stfusion.torch_artefact import load_artefact


def test_a_new_coarse_scene_reruns_only_the_jobs_that_depend_on_it(demo_run, tmp_path):
    """Issue 6, incremental regeneration: one MODIS row added after the last Landsat date re-runs its own
    preprocessing and the pairing, then only the gap filling of the dates it can change (issue 25: its own, and the
    8-day schedule's new dates up to it; 2021-09-18 before it is fully clear, so no earlier date reads it), the
    prediction jobs of the reference groups they join (issue 28: each predicts its whole group again) and the links
    of those groups' dates, the evaluations, the tables, the cubes of the methods that predict them, the site's
    STAC catalogue and the report."""
    run = tmp_path / "run"
    copy_run(demo_run, run)
    extra = run / "extra"
    extra.mkdir()
    for suffix in ("", "_qa"):  # a copy of the last MODIS scene, two weeks later
        shutil.copy(run / f"data/demo/raw/demo/modis/2021-09-18{suffix}.tif", extra / f"2021-10-02{suffix}.tif")
    shutil.copy(run / "data/demo/truth/demo/landsat8_oli/2021-09-18.tif", run / "data/demo/truth/demo/landsat8_oli/2021-10-02.tif")
    table = extra / "scenes.tsv"
    table.write_text((REPO / "config/scenes.tsv").read_text()
                     + "demo\tmodis\t2021-10-02\textra/2021-10-02.tif\textra/2021-10-02_qa.tif\n")
    upstream = snakemake(run, "--until", "pairing", "--config", "scenes=extra/scenes.tsv").stderr
    assert "2021-10-02" in upstream and "rule train" not in upstream
    dry = snakemake(run, "-n", "--config", "scenes=extra/scenes.tsv").stdout
    jobs = dry_run_jobs(dry)
    rules = {name for name, _ in jobs}
    # the ensemble (issue 26): its members' re-made predictions re-run its weights and its one prediction job
    assert "predict" in rules and rules <= {"match_bands", "gapfill", "predict", "link_prediction", "evaluate",
                                            "summary", "series_cube", "series_catalogue", "report", "all",
                                            "ensemble_weights", "ensemble_predict", "uncertainty_calibration", "uncertainty",
                                            "link_uncertainty"}, rules
    scheduled = ["2021-09-20", "2021-09-28"]  # the demo's 8-day series from 2021-03-20 now reaches 2021-10-02
    filled = sorted(re.search(r"date=([\d-]+)", b).group(1) for name, b in jobs if name == "gapfill")
    assert filled == [*scheduled, "2021-10-02"], filled
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    one_ref = [m for m, spec in config["methods"].items() if spec.get("references") == 1]
    series = config["sites"]["demo"]["series"]["methods"]
    new = [(m, "2021-10-02") for m in one_ref] + [(m, d) for m in series for d in scheduled]
    # issue 28: one predict job per reference group, so the jobs of the groups the new dates join, which predict
    # every date of their group again, and the links of those dates to their paths
    groups = reference_groups(config, json.loads((run / "results/demo/pairs/pairs.json").read_text()))
    rerun = sorted({(m, key) for m, date in new for key, dates in groups[m].items() if date in dates})
    predicted = sorted(re.search(r"method=(\w+), references=([\d_-]+)", b).groups() for name, b in jobs
                       if name == "predict")
    assert predicted == rerun, predicted
    linked = sorted(re.search(r"method=(\w+), date=([\d-]+)", b).groups() for name, b in jobs
                    if name == "link_prediction")
    combined = set.intersection(*({d for dates in by_key.values() for d in dates} for by_key in groups.values()))
    assert linked == sorted([(m, date) for m, key in rerun for date in groups[m][key]]
                            + [("ensemble", date) for date in combined]), linked
    # every method's cube is assembled again, and the site's catalogue: a cube holds the uncertainty of each date
    # (issue 26), whose job per method reads the spread of every method's prediction of its dates, and the one-reference
    # methods predicted some of those dates again
    cubes = [re.search(r"method=(\w+)", b).group(1) for name, b in jobs if name == "series_cube"]
    assert sorted(cubes) == sorted(config["methods"]) and [name for name, _ in jobs].count("series_catalogue") == 1


def reference_groups(config: dict, pairs: dict) -> dict[str, dict[str, list[str]]]:
    """Per method of the demo site but the ensemble {its references joined by _: the dates it predicts from them} (one rule predict
    job each), from the config and the pairing (pairs.json)."""
    groups = {}
    for method, spec in config["methods"].items():
        if spec["model"] == "ensemble":  # no reference groups: it combines the others' predictions
            continue
        dates = set(method_dates(config, "demo", method, pairs["coarse_dates"]))
        count = str(spec.get("predict_references", spec["references"]))
        groups[method] = {}
        for group in pairs["references"][count]["prediction"]:
            if group["target"] in dates:
                groups[method].setdefault("_".join(group["references"]), []).append(group["target"])
    return groups


def start_killable(run: Path, target: str, *args: str) -> subprocess.Popen:
    """snakemake on ``target`` in its own process group (the job's script dies with it)."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(run),
               "--cores", "2", target, *args]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env=job_env())


def kill_when_logged(process: subprocess.Popen, log: Path, text: str, timeout: float = 300) -> None:
    """SIGKILL the whole run as soon as ``text`` appears in the job's log (as a scheduler or a power cut would)."""
    deadline = time.monotonic() + timeout
    while not (log.exists() and text in log.read_text()):
        assert process.poll() is None, f"the run ended before {text!r} was logged"
        assert time.monotonic() < deadline, f"{text!r} not logged within {timeout} s"
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def test_a_run_killed_in_training_and_in_prediction_resumes_to_the_same_outputs(demo_run, tmp_path):
    """Issue 7: kill -9 in the middle of training (after epoch 2 of 6) and of a tiled prediction, run again:
    training resumes from its checkpoint, a corrupt checkpoint is a clear error, nothing half-written is
    left, and the outputs equal the uninterrupted run's. Equal up to float rounding: two-thread CPU
    training is not bitwise reproducible from one process to the next (epoch 1's loss already differs in
    the 8th digit, weights by up to 1e-4 after 6 epochs); in one process a resumed run is bitwise equal
    (tests/test_training.py)."""
    run = tmp_path / "run"
    copy_run(demo_run, run)
    weights, date = "results/demo/models/edcstfn_1ref/weights.pt", "2021-05-15"
    prediction = f"results/demo/predictions/edcstfn_1ref/{date}.tif"
    references = read_raster(run / prediction).tags["reference_dates"].replace(",", "_")  # its group's job predicts it
    group = run / f"results/demo/predictions/edcstfn_1ref/by_references/{references}"
    train_log, predict_log = (run / f"results/logs/demo/{name}.log" for name in ("train_edcstfn_1ref",
                                                                                 f"predict_edcstfn_1ref_{references}"))
    for name in ("weights.pt", "checkpoint.pt", "history.csv", "learning_curve.png"):
        (run / weights).with_name(name).unlink()
    for path in (train_log, predict_log, run / prediction):
        path.unlink()

    kill_when_logged(start_killable(run, weights), train_log, "epoch 2/6")
    assert not (run / weights).exists()
    snakemake(run, "--unlock")
    checkpoint = (run / weights).with_name("checkpoint.pt")
    saved = checkpoint.read_bytes()
    checkpoint.write_bytes(saved[: len(saved) // 2])  # a checkpoint cut short
    failed = snakemake(run, "--rerun-incomplete", weights, check=False)
    assert failed.returncode != 0 and not (run / weights).exists()
    assert "checkpoint.pt cannot be read" in train_log.read_text() and "delete it" in train_log.read_text()
    checkpoint.write_bytes(saved)
    snakemake(run, "--rerun-incomplete", weights)
    assert "resuming from results/demo/models/edcstfn_1ref/checkpoint.pt after epoch 2" in train_log.read_text()
    resumed, original = (load_artefact(d / weights, "")["state_dict"] for d in (run, demo_run))
    for name, tensor in original.items():
        torch.testing.assert_close(resumed[name], tensor, rtol=0, atol=1e-3, msg=name)

    # The demo's 256 px date is one default tile: predict it in 32 px tiles, one per forward call, to kill it
    # between two of them. Tiles with honest halos give the whole-scene result, so the outputs still compare.
    (run / "small_tiles.yaml").write_text("prediction: {tile: 32, overlap: 0, block: 256, batch_pixels: 1}\n")
    small_tiles = ("--configfile", str(REPO / "config/config.yaml"), str(run / "small_tiles.yaml"))
    kill_when_logged(start_killable(run, prediction, *small_tiles), predict_log, "tile batch 1/")
    assert not (run / prediction).exists() and not list(group.glob(f".{date}.tif*"))
    snakemake(run, "--unlock")
    snakemake(run, "--rerun-incomplete", prediction, *small_tiles)
    np.testing.assert_allclose(read_stack(run / prediction), read_stack(demo_run / prediction), rtol=0, atol=2e-3)


def test_a_bit_flipped_model_stops_predict_naming_the_file_and_the_rule(demo_run, tmp_path):
    """Issue 27, item 3: 64 bytes flipped inside a trained weights.pt (size unchanged) stop its next prediction with
    the file and the rule that writes it, and leave no prediction of the damaged model (issue 28: the folder of the
    reference group's job); before, a 100 % NaN COG was written, exit 0."""
    run = copy_run(demo_run, tmp_path / "run")
    weights = run / "results/demo/models/edcstfn_1ref/weights.pt"
    data = bytearray(weights.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(b ^ 0xFF for b in data[middle:middle + 64])
    weights.write_bytes(bytes(data))
    prediction = sorted((run / "results/demo/predictions/edcstfn_1ref").glob("*[0-9].tif"))[0]
    references = read_raster(prediction).tags["reference_dates"].replace(",", "_")
    group = f"results/demo/predictions/edcstfn_1ref/by_references/{references}"  # the job that predicts it
    result = snakemake(run, str(prediction.relative_to(run)), "--forcerun", group, check=False)
    log = run / f"results/logs/demo/predict_edcstfn_1ref_{references}.log"
    text = result.stdout + result.stderr + (log.read_text() if log.exists() else "")
    assert result.returncode != 0
    assert "results/demo/models/edcstfn_1ref/weights.pt is damaged" in text and "rerun the rule train" in text, text[-3000:]
    assert not (run / group).exists()  # the prediction of the last good model stays linked until one replaces it
