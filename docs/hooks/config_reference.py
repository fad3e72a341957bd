"""MkDocs hook: the configuration reference page (user-guide/config-reference.md), generated from the config
schema at every build by stfusion.config_reference, with the method names the registry injects at validation."""
import yaml
from mkdocs.structure.files import File

from stfusion.config import with_registered_names
from stfusion.config_reference import config_reference
from stfusion.packaged import schema_path

PAGE = "user-guide/config-reference.md"


def on_files(files, config):
    schema = with_registered_names(yaml.safe_load(schema_path("config").read_text()))
    source = "`workflow/stfusion/schemas/config.schema.yaml`"
    files.append(File.generated(config, PAGE, content=config_reference(schema, source)))
    return files
