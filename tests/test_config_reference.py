"""The configuration reference page (stfusion.config_reference): every key of the schema with its type, default,
enum and description, nested objects in sections of their own, and the method names the registry injects."""
import yaml

from stfusion.config import with_registered_names
from stfusion.config_reference import config_reference
from stfusion.packaged import schema_path

SCHEMA = {
    "type": "object",
    "required": ["sites"],
    "properties": {
        "seed": {"type": "integer", "default": 42, "description": "seed | of everything"},
        "sites": {
            "type": "object", "description": "one entry per site",
            "additionalProperties": {
                "type": "object", "required": ["pixel_size"],
                "properties": {
                    "pixel_size": {"type": "number", "exclusiveMinimum": 0, "description": "fine pixel size"},
                    "bounds": {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4},
                    "storage": {"type": "object", "additionalProperties": {
                        "type": "object", "properties": {"scale": {"type": "number", "description": "multiplier"}}}},
                },
            },
        },
        "quality": {"type": "object", "properties": {
            "coarse": {"allOf": [{"$ref": "#/definitions/thresholds"}], "default": {"max_nodata": 0.01}}}},
        "simulate": {"type": "array", "items": {"type": "object", "properties": {
            "method": {"enum": ["bilinear", "area"], "default": "bilinear"}}}},
        "methods": {"type": "object", "additionalProperties": {
            "type": "object", "properties": {"model": {"type": "string"}, "references": {"enum": [1, 2]}},
            "allOf": [{"if": {"properties": {"model": {"const": "fsdaf"}}},
                       "then": {"properties": {"references": {"enum": [1], "description": "fsdaf takes 1"}},
                                "required": ["references"]}}]}},
    },
    "definitions": {"thresholds": {"type": "object", "properties": {
        "max_nodata": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.05, "description": "largest"}}}},
}


def rows(page: str) -> dict[str, list[str]]:
    """The table rows of a page by their key: type, default, description."""
    table = [line.split(" | ") for line in page.splitlines() if line.startswith("| `")]
    return {cells[0].lstrip("| ").split("`")[1]: [cell.rstrip(" |") for cell in cells[1:]] for cells in table}


def test_nested_keys_have_their_sections_types_defaults_and_descriptions():
    page = config_reference(SCHEMA, "`schema.yaml`")
    table = rows(page)
    assert table["seed"] == ["integer", "`42`", "seed \\| of everything"]  # a pipe cannot break the table
    assert "## `sites.<site>` {#sites-site}" in page and "one entry per site" in page  # no section for `sites` alone
    assert table["sites"][0] == "object, see [`sites.<site>`](#sites-site)"
    assert table["sites.<site>.pixel_size"] == ["number, > `0`", "", "fine pixel size"]
    assert "`sites.<site>.pixel_size` (required)" in page
    assert table["sites.<site>.bounds"][0] == "array of number (4 items)"
    assert table["sites.<site>.storage.<sensor>.scale"] == ["number", "", "multiplier"]
    # a $ref through allOf is resolved, and the parent's default wins over the definition's
    assert table["quality.coarse.max_nodata"][:2] == ["number, >= `0`, <= `1`",
                                                      "`0.01` (`0.05` when `quality.coarse` is given without it)"]
    assert table["simulate[].method"][:2] == ["one of `bilinear`, `area`", "`bilinear`"]
    assert "When `model` is `fsdaf`: `references`: fsdaf takes 1; required: `references`." in page


def test_the_real_schema_renders_every_key_and_the_injected_method_names():
    schema = with_registered_names(yaml.safe_load(schema_path("config").read_text()))
    page = config_reference(schema)
    table = rows(page)
    assert "`edcstfn`" in table["methods.<name>.model"][0] and "`stsmtl`" in table["sts_methods.<name>.model"][0]
    assert "`cnmf`" in table["sites.<site>.spectral.methods"][0]
    for key in ("scenes", "sites.<site>.sts.protocol", "training.autoencoder.epochs",
                "prediction.batch_pixels", "sts_methods.<name>.stfdcnn.patch", "quality.sensors.<sensor>.max_cloud"):
        assert key in table, key
    assert table["prediction.tile"][1] == "`512`"
    assert table["sites.<site>.qa"][0].startswith("object, each `<sensor>`: one of `landsat_qa_pixel`, `modis_state`")
    assert table["sites.<site>.sensors"][0] == "object, at least 1 key(s), each `<sensor>`: integer, >= `1`"
