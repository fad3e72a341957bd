"""Where a run writes (issue 27, item 1): a `results` folder that is, contains or lies inside a folder the user owns
is refused before any file is touched; a folder of its own, the usual layout, passes."""
from pathlib import Path

import pytest
import yaml

from conftest import REPO, make_workdir, snakemake
from stfusion.errors import ConfigError
from stfusion.results_folder import MARKER, check_results_folder, claim_results_folder, input_folders


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project folder with its own config/ and workflow/, a download folder of scenes, run from the project."""
    for name in ("config", "workflow", "downloads/LC08_L2SP_190028_20210601_20210628_02_T1"):
        (tmp_path / name).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


INPUTS = ["downloads/LC08_L2SP_190028_20210601_20210628_02_T1", "stac/items.json#LC08_1", "https://example.com/b4.tif"]


def test_input_folders_are_the_scene_tables_and_each_local_scenes():
    assert input_folders("my_scenes.tsv", INPUTS) == [Path("."), Path("downloads"), Path("stac")]


@pytest.mark.parametrize("results", ["results", "out/fused", "downloads_results"])
def test_a_folder_of_its_own_passes(project, results):
    check_results_folder(results, project, input_folders("my_scenes.tsv", INPUTS))


@pytest.mark.parametrize(("results", "relation", "what"), [
    ("/", "filesystem root", ""),
    ("config", "is", "the project's `config/`"),
    ("workflow/stfusion/data", "lies inside", "the project's `workflow/`"),
    (".", "is", "the project folder"),
    ("..", "contains", "the project folder"),
    ("downloads", "is", "a folder of the run's inputs"),
    ("stac", "is", "a folder of the run's inputs"),
])
def test_a_folder_the_user_owns_is_refused_naming_the_key_and_the_fix(project, results, relation, what):
    with pytest.raises(ConfigError, match="config key `results") as err:
        check_results_folder(results, project, input_folders("my_scenes.tsv", INPUTS))
    assert relation in str(err.value) and what in str(err.value) and "`results: results`" in str(err.value)


@pytest.mark.parametrize("results", ["resources", "/"])
def test_the_dag_build_refuses_it_before_any_file_is_touched(tmp_path, results):
    """The demo config with `results: resources` (the project's resources/, linked into the working directory as
    the tests do) or the filesystem root: snakemake stops before any job and writes nothing but its own log."""
    workdir = make_workdir(tmp_path)
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    config["results"] = results
    (workdir / "bad.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    before = sorted(path.relative_to(REPO) for path in (REPO / "resources").rglob("*"))
    failed = snakemake(workdir, "--configfile", str(workdir / "bad.yaml"), check=False)
    assert failed.returncode != 0 and "config key `results" in failed.stdout + failed.stderr
    assert sorted(path.relative_to(REPO) for path in (REPO / "resources").rglob("*")) == before
    written = {path.name for path in workdir.iterdir()} - {"bad.yaml", "config", "resources"}
    assert written == {".snakemake"}, written  # Snakemake's own log folder, no output of the run


def test_a_folder_with_files_no_run_wrote_is_refused(project):
    """Someone else's files in the folder: the run could overwrite those sharing a name with its outputs."""
    (project / "fused").mkdir()
    (project / "fused" / "report.html").write_text("my own report")
    with pytest.raises(ConfigError, match="holds files that no run of stfusion wrote") as err:
        check_results_folder("fused", project, [])
    assert "touch" in str(err.value) and MARKER in str(err.value)
    assert (project / "fused" / "report.html").read_text() == "my own report"


def test_a_folder_a_run_claimed_passes_and_an_empty_one_too(project):
    (project / "empty").mkdir()
    check_results_folder("empty", project, [])
    (project / "fused").mkdir()
    (project / "fused" / "report.html").write_text("an earlier run's report")
    claim_results_folder("fused")
    marker = (project / "fused" / MARKER).read_text()
    check_results_folder("fused", project, [])
    claim_results_folder("fused")  # a later run keeps the first run's marker
    assert (project / "fused" / MARKER).read_text() == marker and "stfusion" in marker
