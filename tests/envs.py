"""Fresh Python environments made of declared requirements only, without downloading: the
distributions that satisfy the requirements (and what they require in turn) are taken from
this suite's own venv, file by file from their RECORD, as symbolic links (no tests here).

Used where a test must show that something *declares* what it needs (a generated package's
``test`` extra, the README's ``pip install -e ".[server,codegen]"``): a missing declaration
leaves the package out, and the command that needs it fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement


def closure(requirements: Iterable[str], extras: Iterable[str] = ()) -> list[metadata.Distribution]:
    """The installed distributions that satisfy ``requirements`` (read with ``extras`` active,
    as a package's own ``Requires-Dist`` are), and everything they require in turn. A
    requirement the suite's venv cannot satisfy fails the test that asked."""
    found: dict[str, metadata.Distribution] = {}
    done: set[tuple[str, frozenset[str]]] = set()
    pending = [(Requirement(r), frozenset(extras)) for r in requirements]
    while pending:
        requirement, active = pending.pop()
        if requirement.marker is not None and not any(
            requirement.marker.evaluate({"extra": extra}) for extra in (active or {""})
        ):
            continue
        name = requirement.name.lower().replace("_", "-")
        wanted = frozenset(requirement.extras)
        if (name, wanted) in done:
            continue
        done.add((name, wanted))
        dist = metadata.distribution(name)  # PackageNotFoundError: not installable here
        assert requirement.specifier.contains(dist.version, prereleases=True), (
            f"{requirement} is declared; the suite's venv has {name} {dist.version}"
        )
        found[name] = dist
        pending += [(Requirement(r), wanted) for r in dist.requires or ()]
    return list(found.values())


def link(distributions: Iterable[metadata.Distribution], site: Path) -> None:
    """Make ``site`` hold exactly these distributions (modules and metadata, not scripts)."""
    site.mkdir(parents=True, exist_ok=True)
    for dist in distributions:
        base = Path(str(dist.locate_file("")))
        for entry in dist.files or ():
            if entry.parts[0] == ".." or entry.suffix == ".pyc":
                continue  # scripts in bin/, bytecode
            target = site / entry
            if target.exists() or target.is_symlink():
                continue  # a namespace package's folder shared by two distributions
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(base / entry)


def project_requirements(pyproject: Path, extras: Iterable[str]) -> list[str]:
    """``[project] dependencies`` plus those of ``extras``, from a pyproject.toml."""
    import tomllib

    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    wanted = list(project.get("dependencies", []))
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    return wanted
