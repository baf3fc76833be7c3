"""CLI settings: evreg.toml or [tool.evreg], then EVREG_* variables, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from evreg.cli.config import DEFAULT_REGISTRY, Settings, SubjectStrategy, load_settings
from evreg.cli.sources import InputError
from evreg.contracts import Level, Policy


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, {})
    assert settings == Settings()
    assert settings.registry == DEFAULT_REGISTRY
    assert settings.token is None


def test_evreg_toml_in_a_parent_folder(tmp_path: Path) -> None:
    (tmp_path / "evreg.toml").write_text(
        'registry = "http://reg:9000/"\ncontracts = "schemas"\nsubject_strategy = "file-value"\n'
        'level = "full"\npolicy = "LENIENT"\n[generate]\nlang = "python"\noutput = "gen"\n'
    )
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    settings = load_settings(nested, {})
    assert settings.registry == "http://reg:9000"
    assert settings.contracts == tmp_path / "schemas"
    assert settings.subject_strategy is SubjectStrategy.FILE_VALUE
    assert settings.level is Level.FULL
    assert settings.policy is Policy.LENIENT
    assert settings.generate.lang == "python"
    assert settings.generate.output == tmp_path / "gen"  # relative to the file's folder
    assert settings.generate.package is None
    assert settings.generate.where["output"] == f"{tmp_path / 'evreg.toml'}: generate.output"
    assert settings.source == tmp_path / "evreg.toml"


def test_pyproject_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.evreg]\nregistry = "https://schemas.example.com"\n'
    )
    assert load_settings(tmp_path, {}).registry == "https://schemas.example.com"


def test_pyproject_without_the_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "evreg.toml").write_text('level = "FORWARD"\n')
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_settings(inner, {}).level is Level.FORWARD


def test_environment_overrides_the_file_and_flags_override_both(tmp_path: Path) -> None:
    (tmp_path / "evreg.toml").write_text('registry = "http://file:1"\nlevel = "FULL"\n')
    env = {"EVREG_URL": "http://env:2", "EVREG_LEVEL": "FORWARD", "EVREG_TOKEN": " t0k \n"}
    settings = load_settings(tmp_path, env)
    assert (settings.registry, settings.level, settings.token) == (
        "http://env:2",
        Level.FORWARD,
        "t0k",
    )
    flagged = settings.with_flags(registry="http://flag:3", level=Level.NONE)
    assert (flagged.registry, flagged.level) == ("http://flag:3", Level.NONE)
    assert flagged.with_flags() == flagged


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('token = "secret"\n', "do not keep a token in a file; set EVREG_TOKEN"),
        ('colour = "blue"\n', "unknown setting 'colour'"),
        ('level = "SIDEWAYS"\n', "level: 'SIDEWAYS' is not one of BACKWARD"),
        ('registry = "localhost:8081"\n', "is not a registry URL"),
        ("level = [\n", "invalid TOML"),
        ("generate = 3\n", "generate: expected a table"),
        ('[generate]\ntarget = "python"\n', "generate.target: unknown setting"),
        ("[generate]\noutput = 3\n", "generate.output: expected a non-empty string"),
    ],
)
def test_bad_files_are_input_errors(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "evreg.toml").write_text(content)
    with pytest.raises(InputError, match=r"evreg\.toml") as caught:
        load_settings(tmp_path, {})
    assert message in str(caught.value)


def test_bad_environment_values(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="EVREG_POLICY: 'LAX'"):
        load_settings(tmp_path, {"EVREG_POLICY": "LAX"})
    with pytest.raises(InputError, match="EVREG_URL"):
        load_settings(tmp_path, {"EVREG_URL": "ftp://x"})


def test_generate_settings_from_pyproject_then_environment(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.evreg.generate]\nlang = "python"\noutput = "src"\npackage = "orders_events"\n'
    )
    from_file = load_settings(tmp_path, {}).generate
    assert (from_file.output, from_file.package) == (tmp_path / "src", "orders_events")
    env = {"EVREG_GENERATE_OUTPUT": "elsewhere", "EVREG_GENERATE_PACKAGE": "other"}
    from_env = load_settings(tmp_path, env).generate
    assert (from_env.output, from_env.package) == (Path("elsewhere"), "other")
    assert from_env.where["package"] == "EVREG_GENERATE_PACKAGE"
    assert from_env.where["lang"].endswith("[tool.evreg]: generate.lang")
