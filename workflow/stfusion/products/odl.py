"""The Object Description Language text of Landsat's ``_MTL.txt`` and of HDF-EOS ``StructMetadata``.

Lines ``KEY = value``; ``GROUP = name`` ... ``END_GROUP = name`` and ``OBJECT = name`` ... ``END_OBJECT = name``
nest (PDS "Object Description Language Specification and Usage", chapter 12; HDF-EOS Library User's Guide,
volume 1, "StructMetadata"); ``END`` closes the text. Values keep their text, string quotes taken off.
"""
from __future__ import annotations

import re

LINE = re.compile(r"\s*(?P<key>[\w.]+)\s*=\s*(?P<value>.*?)\s*$")


def parse_odl(text: str) -> dict:
    """The text as nested dicts, {group or object name: {key: value, ...}}."""
    stack: list[dict] = [{}]
    for line in text.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        key, value = match["key"], match["value"].strip('"')
        if key in ("GROUP", "OBJECT"):
            stack[-1][value] = {}
            stack.append(stack[-1][value])
        elif key in ("END_GROUP", "END_OBJECT") and len(stack) > 1:
            stack.pop()
        elif key != "END":
            stack[-1][key] = value
    return stack[0]
