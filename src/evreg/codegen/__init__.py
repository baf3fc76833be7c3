"""Code generation: contracts -> source files.

``plan_python`` is pure (contracts in, file contents out); ``write_package`` is the one
function that writes. Models come from datamodel-code-generator (``evreg[codegen]``), the
producer, consumer and contract tests from the jinja2 templates in ``evreg/templates/python``.
"""

from evreg.codegen.errors import CodegenError
from evreg.codegen.plan import (
    SUPPORTED_LANGUAGES,
    GeneratedFile,
    GeneratedPackage,
    plan_python,
    subject_for,
)
from evreg.codegen.schemas import SourceContract
from evreg.codegen.writer import Written, read_key, write_package

__all__ = [
    "SUPPORTED_LANGUAGES",
    "CodegenError",
    "GeneratedFile",
    "GeneratedPackage",
    "SourceContract",
    "Written",
    "plan_python",
    "read_key",
    "subject_for",
    "write_package",
]
