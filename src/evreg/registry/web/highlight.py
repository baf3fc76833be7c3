"""A tiny JSON syntax highlighter: pretty JSON text in, escaped HTML with ``<span>``s out.

The registry stores every schema as canonical JSON, so one small tokenizer covers every document
the UI shows. Each token is escaped before it is wrapped: contract text never reaches the page as
markup.
"""

from __future__ import annotations

import json
import re
from typing import Any

from markupsafe import Markup, escape

_TOKEN = re.compile(
    r"""(?P<string>"(?:[^"\\]|\\.)*")(?P<colon>[ \t]*:)?"""
    r"""|(?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"""
    r"""|(?P<keyword>true|false|null)"""
    r"""|(?P<punct>[{}\[\],:])"""
)


def pretty(value: Any) -> str:
    """JSON text with two-space indents, non-ASCII kept, keys in their stored order."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def highlight_json(text: str) -> Markup:
    """``text`` (JSON, any layout) as escaped HTML with token classes ``j-key`` ``j-str`` ...."""
    out: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        if match.start() > position:
            out.append(str(escape(text[position : match.start()])))
        position = match.end()
        kind = match.lastgroup
        if match.group("string") is not None:
            token = str(escape(match.group("string")))
            if match.group("colon") is not None:
                out.append(f'<span class="j-key">{token}</span>')
                out.append(str(escape(match.group("colon"))))
            else:
                out.append(f'<span class="j-str">{token}</span>')
        elif kind == "number":
            out.append(f'<span class="j-num">{escape(match.group(0))}</span>')
        elif kind == "keyword":
            out.append(f'<span class="j-kw">{escape(match.group(0))}</span>')
        else:
            out.append(str(escape(match.group(0))))
    out.append(str(escape(text[position:])))
    return Markup("".join(out))


def highlight_lines(text: str) -> list[Markup]:
    """One highlighted line per line of ``text`` (pretty JSON keeps every string on one line)."""
    return [highlight_json(line) for line in text.split("\n")]


_INLINE_CODE = re.compile(r"`([^`\n]+)`")


def inline_code(text: str) -> Markup:
    """Finding text as HTML: each `name` in backticks becomes ``<code>name</code>``, the rest
    (and the name) escaped; an unpaired backtick stays as it is."""
    out: list[str] = []
    last = 0
    for match in _INLINE_CODE.finditer(text):
        out.append(str(escape(text[last : match.start()])))
        out.append(f"<code>{escape(match.group(1))}</code>")
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))
