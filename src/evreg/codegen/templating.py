"""The jinja2 environments of the renderers: autoescape off, ``StrictUndefined``.

Each language has its templates in ``evreg/templates/<lang>/`` and its own filters; templates
never print contract text raw: only through those filters (safe literals, checked
identifiers, sanitised comments).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jinja2

_ENVIRONMENTS: dict[str, jinja2.Environment] = {}


def environment(folder: str, filters: Mapping[str, Callable[..., Any]]) -> jinja2.Environment:
    """The environment of ``evreg/templates/<folder>`` (built once per folder)."""
    env = _ENVIRONMENTS.get(folder)
    if env is None:
        env = jinja2.Environment(
            loader=jinja2.PackageLoader("evreg.templates", folder),
            autoescape=False,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(filters)
        _ENVIRONMENTS[folder] = env
    return env


def render(
    folder: str, filters: Mapping[str, Callable[..., Any]], template: str, **context: Any
) -> str:
    return environment(folder, filters).get_template(template).render(**context)
