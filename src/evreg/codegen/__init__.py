"""Code generation: contracts -> source files, in several languages.

``plan.build_plan`` reads the contracts into one language-neutral ``Plan``; a renderer per
language (``evreg.codegen.python``, see ``languages``) turns it into files; ``generate`` does
both and is pure (contracts in, file contents out); ``write_package`` is the one function that
writes.
"""

from evreg.codegen.errors import CodegenError
from evreg.codegen.languages import (
    SUPPORTED_LANGUAGES,
    default_package,
    generate,
    package_key,
    plan_python,
    renderer,
)
from evreg.codegen.output import GeneratedFile, GeneratedPackage
from evreg.codegen.plan import Plan, build_plan, subject_for
from evreg.codegen.schemas import SourceContract
from evreg.codegen.writer import Written, read_key, write_package

__all__ = [
    "SUPPORTED_LANGUAGES",
    "CodegenError",
    "GeneratedFile",
    "GeneratedPackage",
    "Plan",
    "SourceContract",
    "Written",
    "build_plan",
    "default_package",
    "generate",
    "package_key",
    "plan_python",
    "read_key",
    "renderer",
    "subject_for",
    "write_package",
]
