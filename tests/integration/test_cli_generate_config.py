"""``evreg generate`` takes its defaults from ``[generate]`` in evreg.toml (as ``evreg init``
writes it), overridden by ``EVREG_GENERATE_*``, overridden by flags: the real executable."""

from __future__ import annotations

from pathlib import Path

from test_cli_helpers import clean_env, run


def packages(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if (p / "models.py").is_file())


def test_generate_reads_the_generate_table(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    assert run("init", project).returncode == 0
    nested = project / "src"  # the config is found from a subfolder; its paths stay its own
    nested.mkdir()

    done = run("generate", cwd=nested)  # no flags: lang, output and contracts from the file
    assert done.returncode == 0, done.stdout + done.stderr
    assert packages(project / "generated") == ["orders"]

    env = clean_env(EVREG_GENERATE_OUTPUT=str(tmp_path / "from-env"))
    done = run("generate", cwd=nested, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert packages(tmp_path / "from-env") == ["orders"]

    flags = run("generate", "-o", tmp_path / "from-flag", "-p", "shop_events", cwd=nested, env=env)
    assert flags.returncode == 0, flags.stdout + flags.stderr
    assert packages(tmp_path / "from-flag") == ["shop_events"]

    config = project / "evreg.toml"
    config.write_text(
        config.read_text().replace('output = "generated"', 'output = "gen"\npackage = "named"')
    )
    done = run("generate", cwd=nested)
    assert done.returncode == 0, done.stdout + done.stderr
    assert packages(project / "gen") == ["named"]


def test_bad_generate_settings_name_their_origin(tmp_path: Path) -> None:
    assert run("init", tmp_path).returncode == 0
    config = tmp_path / "evreg.toml"
    text = config.read_text()

    env = clean_env(EVREG_GENERATE_LANG="java")
    done = run("generate", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert done.stderr == (
        "error: EVREG_GENERATE_LANG: 'java' is not supported; "
        "supported languages: python, typescript\n"
    )

    config.write_text(text.replace('lang = "python"', 'language = "python"'))
    done = run("generate", cwd=tmp_path)
    assert done.returncode == 2
    assert f"{config}: generate.language: unknown setting" in done.stderr

    config.write_text(text.replace('lang = "python"', 'lang = "java"'))
    done = run("generate", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {config}: generate.lang: 'java' is not supported")
    assert not (tmp_path / "generated").exists()  # nothing written on bad input
    assert run("generate", "--lang", "python", cwd=tmp_path).returncode == 0  # the flag wins
    assert packages(tmp_path / "generated") == ["orders"]


def test_bare_generate_from_the_repository_root_writes_generated(tmp_path: Path) -> None:
    """`evreg generate --lang python` as users quote it, in a clone's layout (no evreg.toml):
    the contracts from ./contracts, the package into ./generated."""
    repo = Path(__file__).resolve().parents[2]
    clone = tmp_path / "evreg"
    clone.mkdir()
    for name in ("pyproject.toml", "README.md"):
        (clone / name).write_bytes((repo / name).read_bytes())
    (clone / "contracts").mkdir()
    for contract in (repo / "contracts").iterdir():
        (clone / "contracts" / contract.name).write_bytes(contract.read_bytes())

    done = run("generate", "--lang", "python", cwd=clone)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    assert packages(clone / "generated") == ["events"]
    assert done.stdout.startswith("generated/events: ")
    again = run("generate", "--lang", "python", cwd=clone)
    assert again.stdout == "generated/events: up to date (contracts unchanged)\n"
