"""The configuration reference page, in Markdown, generated from the config schema so it cannot drift from it.

:func:`config_reference` takes the schema as a dict (after ``config.with_registered_names``, so the method names and QA kinds that
are injected at validation time appear as the enums they are) and returns one page: a table of the top-level keys,
then one section per object that has keys of its own, e.g. ``sites.<site>``, ``sites.<site>.sts``,
``methods.<name>``, with each key's type, constraints, default and ``description``. Keys under
``additionalProperties`` (a site, a method, a sensor: names the user chooses) are written ``<site>``, ``<name>``,
``<sensor>``. The docs site builds the page with this function (``docs/hooks/config_reference.py``); headings carry
explicit ids (``{#...}``), so the page needs Python-Markdown's ``attr_list`` extension.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping

# the name written for a key the user chooses, by the key of the object holding such keys
PLACEHOLDERS = {"sites": "site", "sensors": "sensor", "storage": "sensor", "qa": "sensor", "methods": "name",
                "sts_methods": "name"}


def config_reference(schema: Mapping[str, Any], source: str = "the config schema",
                     placeholders: Mapping[str, str] = PLACEHOLDERS) -> str:
    """Markdown of every key of ``schema`` (a JSON schema of an object), ``source`` naming the schema's file."""
    root = _resolve(schema, schema)
    lines = ["# Configuration reference", "",
             f"Every key a config file may hold, generated from {source} when the docs are built. A config is "
             "checked against it when the DAG is built, before any job runs: a wrong key or value stops the run "
             "with a message that names the key. Defaults are filled in by that validation.", ""]
    if root.get("description"):
        lines += [f"The schema: {root['description']}.", ""]
    sections: list[tuple[str, int, dict]] = []
    lines += ["## Top-level keys {#top-level-keys}", ""]
    lines += _table(root, "", schema, placeholders, sections, depth=1)
    while sections:
        path, depth, node = sections.pop(0)
        heading = "#" * min(depth + 1, 4)
        lines += ["", f"{heading} `{path}` {{#{_anchor(path)}}}", ""]
        intro = (_text(node.get("description", "")) + _rules(node)).strip()
        if intro:
            lines += [intro, ""]
        nested: list[tuple[str, int, dict]] = []
        lines += _table(node, path, schema, placeholders, nested, depth + 1)
        sections[:0] = nested  # depth first: a section's subsections follow it
    return "\n".join(lines) + "\n"


def _table(node: dict, path: str, schema: Mapping, placeholders: Mapping[str, str],
           sections: list[tuple[str, int, dict]], depth: int) -> list[str]:
    """The rows of one object's keys; objects with keys of their own are queued as sections and linked."""
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    required = set(node.get("required", ()))
    given = node.get("default") if isinstance(node.get("default"), Mapping) else {}
    for name, child in _children(node, path, schema, placeholders):
        key = f"{path}.{name}" if path else name
        section = _section(key, child, schema, placeholders)
        if section:
            sections.append((section[0], depth, section[1]))
        default = _value(child["default"]) if "default" in child else ""
        if name in given and ("default" not in child or given[name] != child["default"]):
            default = _value(given[name]) + (f" ({default} when `{path}` is given without it)" if default else "")
        kind = _type(child, schema, key, section[0] if section else key)
        extra = _resolve(child.get("additionalProperties"), schema)
        if not section and extra:  # a map from names the user chooses to plain values, e.g. sensor -> QA kind
            kind += f", each `<{placeholders.get(name, 'key')}>`: {_type(extra, schema, key)}"
        rows.append("| " + " | ".join([
            f"`{key}`" + (" (required)" if name in required else ""),
            kind,
            default,
            _text(child.get("description", "")) + ("" if section else _rules(child)),
        ]) + " |")
    return rows if len(rows) > 2 else []


def _children(node: dict, path: str, schema: Mapping, placeholders: Mapping[str, str]) -> list[tuple[str, dict]]:
    """The named keys of an object, then its user-named key (``<site>``) if it has ``additionalProperties``."""
    children = [(name, _resolve(child, schema)) for name, child in node.get("properties", {}).items()]
    extra = node.get("additionalProperties")
    if isinstance(extra, Mapping):
        last = path.rsplit(".", 1)[-1] if path else ""
        children.append((f"<{placeholders.get(last, 'key')}>", _resolve(extra, schema)))
    return children


def _section(key: str, node: dict, schema: Mapping, placeholders: Mapping[str, str]) -> tuple[str, dict] | None:
    """The section a key's row links to: the key's own object, the object under its user-named keys when it has
    no named keys (``sites`` -> ``sites.<site>``), or its items (``simulate[]``); None for a plain value."""
    if node.get("type") == "array":
        items = _resolve(node.get("items", {}), schema)
        return (f"{key}[]", items) if _has_keys(items, schema) else None
    if not _has_keys(node, schema):
        return None
    if not node.get("properties"):
        name, extra = _children(node, key, schema, placeholders)[0]
        return f"{key}.{name}", {"description": node.get("description", ""), **extra}
    return key, node


def _resolve(node: Any, schema: Mapping) -> dict:
    """``node`` with local ``$ref``s and ``allOf`` lists of references merged in (the node's own keys win)."""
    if not isinstance(node, Mapping):
        return {}
    node = dict(node)
    if "$ref" in node:
        target: Any = schema
        for part in node.pop("$ref").removeprefix("#/").split("/"):
            target = target[part]
        node = {**_resolve(target, schema), **node}
    merged: dict = {}
    rules = []
    for part in node.pop("allOf", ()):
        if "if" in part:
            rules.append(part)
        else:
            merged.update(_resolve(part, schema))
    node = {**merged, **node}
    if rules:
        node["allOf"] = rules
    return node


def _has_keys(node: dict, schema: Mapping) -> bool:
    """An object whose keys are named in the schema, or whose user-named keys are objects of named keys."""
    extra = node.get("additionalProperties")
    return bool(node.get("properties")) or (isinstance(extra, Mapping) and bool(_resolve(extra, schema).get("properties")))


def _type(node: dict, schema: Mapping, key: str, target: str = "") -> str:
    """Type, enum and bounds in words, e.g. ``integer >= 1``, ``one of `a`, `b```, ``array of 4 number``."""
    if "enum" in node:
        text = "one of " + ", ".join(_value(v) for v in node["enum"])
    elif "const" in node:
        text = f"exactly {_value(node['const'])}"
    else:
        kind = node.get("type", "")
        kinds = [k for k in (kind if isinstance(kind, list) else [kind]) if k]
        text = " or ".join(kinds)
        if "array" in kinds:
            items = _resolve(node.get("items", {}), schema)
            count = _count(node)
            item = (f"object, see [`{target}`](#{_anchor(target)})" if _has_keys(items, schema)
                    else _type(items, schema, key) if items else "")
            text = "array" + (f" of {item}" if item else "") + (f" ({count} items)" if count else "")
        elif "object" in kinds and _has_keys(node, schema):
            text = f"object, see [`{target or key}`](#{_anchor(target or key)})"
    bounds = [f"{sign} {_value(node[name])}" for name, sign in
              (("minimum", ">="), ("exclusiveMinimum", ">"), ("maximum", "<="), ("exclusiveMaximum", "<"))
              if name in node]
    if node.get("minProperties"):
        bounds.append(f"at least {node['minProperties']} key(s)")
    if node.get("uniqueItems"):
        bounds.append("no repeats")
    return ", ".join([text, *bounds]) if text else ", ".join(bounds)


def _count(node: dict) -> str:
    low, high = node.get("minItems"), node.get("maxItems")
    if low is not None and low == high:
        return str(low)
    if low and high:
        return f"{low}-{high}"
    return f"at least {low}" if low else f"at most {high}" if high else ""


def _rules(node: dict) -> str:
    """Conditional rules (``if`` a key has a value ``then`` ...), as sentences after the description."""
    sentences = []
    for rule in node.get("allOf", ()):
        condition = " and ".join(f"`{name}` is {_value(spec['const'])}"
                                 for name, spec in rule["if"].get("properties", {}).items() if "const" in spec)
        then = rule.get("then", {})
        parts = [f"`{name}`: " + (_text(spec["description"]) if spec.get("description") else _type(spec, {}, name))
                 for name, spec in then.get("properties", {}).items()]
        if then.get("required"):
            parts.append("required: " + ", ".join(f"`{name}`" for name in then["required"]))
        if condition and parts:
            sentences.append(f"When {condition}: " + "; ".join(parts) + ".")
    return (" " if sentences else "") + " ".join(sentences)


def _value(value: Any) -> str:
    """A value as YAML-like inline code: `null`, `true`, `[1, 3]`, `{max_cloud: 0.05}`, `results`."""
    if isinstance(value, str):
        return f"`{value}`"
    text = json.dumps(value)
    if isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in value.items()) + "}"
    return f"`{text}`"


def _text(text: str) -> str:
    """A description inside a table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _anchor(path: str) -> str:
    """A heading id from a key path: ``sites.<site>.sts`` -> ``sites-site-sts``."""
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
