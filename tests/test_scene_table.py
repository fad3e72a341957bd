"""The scene table's own errors (read_scene_table, check_scene_table): each names the line and what is wrong with
it, so that a table of spaces is not reported as an unknown site nor a folder or a link loop as a missing file."""
import re

import pytest

from stfusion.errors import ConfigError
from stfusion.scenes import check_scene_table, read_scene_table

CONFIG = {"sites": {"s": {"sensors": {"fine": 1}}}}
HEADER = "site\tsensor\tdate\tpath\tqa\n"


def table_with(tmp_path, path: str, qa: str = ""):
    table = tmp_path / "scenes.tsv"
    table.write_text(HEADER + f"s\tfine\t2021-06-01\t{path}\t{qa}\n")
    return read_scene_table(table), str(table)


def test_a_row_separated_by_spaces_is_told_the_table_is_tab_separated(tmp_path):
    table = tmp_path / "scenes.tsv"
    table.write_text(HEADER + "# a comment\ns fine 2021-06-01 data/a.tif\n")
    message = f"scene table {table} line 3 has no tab (its columns are separated by spaces): the table is tab-separated"
    with pytest.raises(ConfigError, match=re.escape(message)):
        read_scene_table(table)


def test_a_folder_as_the_scene_table_is_told_scenes_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match=re.escape(f"scene table {tmp_path} (config key `scenes`) is a directory")):
        read_scene_table(tmp_path)


@pytest.mark.parametrize("column, message", [
    ("path", "line 2: raster or product {} is a directory that holds no product the pipeline reads: a row's path is "
             "a raster file, a product folder"),
    ("qa", "line 2: QA {} is a directory but a row's qa is one raster file"),
])
def test_a_folder_in_a_row_is_told_what_the_column_may_name(tmp_path, column, message):
    folder = tmp_path / "folder"
    folder.mkdir()
    (tmp_path / "a.tif").touch()
    table, name = table_with(tmp_path, **{"path": str(tmp_path / "a.tif"), column: str(folder)})
    with pytest.raises(ConfigError, match=re.escape(message.format(folder))):
        check_scene_table(table, CONFIG, name)


def test_links_to_nothing_are_told_apart_from_missing_files(tmp_path):
    loop, dangling = tmp_path / "loop.tif", tmp_path / "dangling.tif"
    loop.symlink_to(loop)
    dangling.symlink_to(tmp_path / "gone.tif")
    for link, problem in ((loop, "leads into a symbolic link loop"),
                          (dangling, f"is a symbolic link to {tmp_path / 'gone.tif'}, which does not exist")):
        table, name = table_with(tmp_path, str(link))
        with pytest.raises(ConfigError, match=re.escape(f"line 2: raster or product file {link} {problem}")):
            check_scene_table(table, CONFIG, name)
