"""Small HTML pieces of the report: an embedded figure, a note, a collapsible block."""
from __future__ import annotations

import base64
from html import escape


def figure(png: bytes, caption: str) -> str:
    """A PNG embedded as base64 with its caption (the page needs no other file)."""
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def note(text: str) -> str:
    """A highlighted remark (something the report could not show, and why)."""
    return f'<p class="note">{escape(text)}</p>'


def details(summary: str, body: str, open_: bool = False) -> str:
    """A block the reader opens and closes (no script needed)."""
    return f'<details{" open" if open_ else ""}><summary>{escape(summary)}</summary>{body}</details>'
