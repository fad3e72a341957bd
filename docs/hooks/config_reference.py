"""MkDocs hook: the configuration reference page (user-guide/config-reference.md), generated from the config
schema at every build by stfusion.config_reference, with the method names the registry injects at validation."""
from pathlib import Path

import yaml
from mkdocs.structure.files import File

from stfusion.config import with_method_names
from stfusion.config_reference import config_reference

SCHEMA = "config/schemas/config.schema.yaml"  # relative to the repository root (mkdocs.yml's folder)
PAGE = "user-guide/config-reference.md"


def on_files(files, config):
    root = Path(config.config_file_path).parent
    schema = with_method_names(yaml.safe_load((root / SCHEMA).read_text()))
    files.append(File.generated(config, PAGE, content=config_reference(schema, f"`{SCHEMA}`")))
    return files
