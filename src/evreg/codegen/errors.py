"""The error code generation raises for input it cannot turn into code."""

from __future__ import annotations


class CodegenError(ValueError):
    """A contract that cannot be generated from (the message says where and why)."""
