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


def test_both_commands_upgrade_pip_in_the_new_venv_before_installing() -> None:
    # Debian's python3 ships pip 23.0, which cannot build seqeval's legacy setup.py: each
    # command upgrades pip inside the new venv before it installs the package.
    for command in _commands():
        steps = [step.strip() for step in command.split("&&")]
        upgrade = steps.index(".venv/bin/pip install -q --upgrade pip")
        install = next(
            i for i, s in enumerate(steps) if s.startswith(".venv/bin/pip install -q -e")
        )
        assert steps[0] == "python3 -m venv .venv" and 0 < upgrade < install, command
