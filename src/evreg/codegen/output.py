"""What a renderer returns: the files of a package, as text, before anything is written."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    path: str  # relative to the output folder, "/"-separated
    content: str


@dataclass(frozen=True, slots=True)
class GeneratedPackage:
    name: str
    files: tuple[GeneratedFile, ...]
    key: str  # a fingerprint of everything the output depends on

    def file(self, path: str) -> str:
        for item in self.files:
            if item.path == path:
                return item.content
        raise KeyError(path)
