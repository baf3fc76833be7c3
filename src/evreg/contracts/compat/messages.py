"""One readable sentence per finding."""

from __future__ import annotations

import json
from typing import Any, Final

from evreg.contracts.compat.proofs.json_values import is_number, one_shot
from evreg.contracts.compat.report import Change, Direction
from evreg.contracts.compat.rules import RULES

_CONSEQUENCE = {
    Direction.BACKWARD: (
        "a consumer on the new version would reject some events written with the old one"
    ),
    Direction.FORWARD: (
        "a consumer still on the old version would reject some events written with the new one"
    ),
}


# what json.dumps(value, ensure_ascii=False, sort_keys=True, default=str) writes, built once
_JSON: Final = one_shot(json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str))


def _show(value: Any) -> str:
    if is_number(value):
        return repr(value)
    plain = isinstance(value, str) and len(value) <= 80 and value.isprintable()
    if plain and '"' not in value and "\\" not in value:
        return f'"{value}"'
    text = _JSON(value)
    return text if len(text) <= 80 else text[:77] + "..."


_PURPOSES: dict[str, str] = {}  # each rule's purpose as a sentence, written once


def _purpose(rule: str) -> str:
    text = RULES[rule].purpose
    text = _PURPOSES[rule] = text[0].upper() + text[1:]
    return text


def describe(change: Change, breaking: bool, direction: Direction) -> str:
    if change.message:
        text = change.message
    else:
        text = _PURPOSES.get(change.rule) or _purpose(change.rule)
        if change.old is not None or change.new is not None:
            if change.old is None:
                text += f" ({_show(change.new)})"
            elif change.new is None:
                text += f" (was {_show(change.old)})"
            else:
                text += f" ({_show(change.old)} -> {_show(change.new)})"
    if breaking:
        text += f": {_CONSEQUENCE[direction]}"
    return text
