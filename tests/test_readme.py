"""README starts with the two commands, and CI runs the README's test command verbatim."""

from __future__ import annotations

import re

from chainpolicy.paths import repo_root


def _commands() -> list[str]:
    text = (repo_root() / "README.md").read_text("utf-8")
    return re.findall(r"```sh\n(.+?)\n```", text)[:2]


def test_readme_starts_with_build_and_test_commands() -> None:
    build, test = _commands()
    assert "chainpolicy build" in build and "python3 -m venv .venv" in build
    assert "pytest" in test and "[labelstudio,browser,dev,baselines,scale]" in test


def test_ci_runs_the_readme_test_command() -> None:
    ci = (repo_root() / ".ci" / "run").read_text("utf-8")
    assert _commands()[1] in ci.splitlines()
