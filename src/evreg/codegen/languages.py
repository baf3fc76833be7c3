"""The target languages: one renderer each, from one language-neutral plan.

A renderer is a module with a module-level ``RENDERER`` (a ``Renderer``): it turns a
``plan.Plan`` into the files of a package. Adding a language is adding such a module (for
example ``evreg/codegen/go/__init__.py``) and one line in ``_MODULES``; nothing else in
``evreg.codegen`` changes. Renderers are imported only when asked for, so listing the languages
or generating Python never loads another language's generator.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from typing import Protocol

from evreg.codegen.errors import CodegenError
from evreg.codegen.output import GeneratedFile, GeneratedPackage
from evreg.codegen.plan import Plan, build_plan, input_key
from evreg.codegen.schemas import SourceContract

_MODULES = {
    "python": "evreg.codegen.python",
    "typescript": "evreg.codegen.typescript",
}
SUPPORTED_LANGUAGES = tuple(_MODULES)


class Renderer(Protocol):
    @property
    def name(self) -> str:
        """The ``--lang`` value."""
        ...

    @property
    def options(self) -> Sequence[str]:
        """What, besides the contracts and evreg's version, the output depends on."""
        ...

    def default_package(self, sources: Sequence[SourceContract]) -> str:
        """The package name when none is given (from the contract's title)."""
        ...

    def check_package(self, name: str) -> str:
        """``name`` if it is a valid package name in this language, else a ``CodegenError``."""
        ...

    def render(self, plan: Plan, package: str) -> Mapping[str, str]:
        """The files of the package: path relative to the package folder -> text."""
        ...


def renderer(lang: str) -> Renderer:
    module = _MODULES.get(lang)
    if module is None:
        raise CodegenError(
            f"{lang!r} is not supported; supported languages: {', '.join(SUPPORTED_LANGUAGES)}"
        )
    found: Renderer = importlib.import_module(module).RENDERER
    return found


def package_key(sources: Sequence[SourceContract], lang: str, package: str) -> str:
    """The input key of ``generate(sources, lang, package=package)``, without generating."""
    return input_key(sources, package, [lang, *renderer(lang).options])


def default_package(sources: Sequence[SourceContract], lang: str = "python") -> str:
    return renderer(lang).default_package(sources)


def generate(
    sources: Sequence[SourceContract], lang: str, *, package: str | None = None
) -> GeneratedPackage:
    """The files of a ``lang`` package generated from ``sources`` (nothing is written)."""
    chosen = renderer(lang)
    if not sources:
        raise CodegenError("no contract to generate from")
    name = chosen.check_package(package or chosen.default_package(sources))
    files = chosen.render(build_plan(sources), name)
    return GeneratedPackage(
        name=name,
        files=tuple(GeneratedFile(f"{name}/{path}", text) for path, text in files.items()),
        key=package_key(sources, lang, name),
    )


def plan_python(
    sources: Sequence[SourceContract], *, package: str | None = None
) -> GeneratedPackage:
    """``generate(sources, "python", package=package)``."""
    return generate(sources, "python", package=package)
