"""The layers import downward only (ARCHITECTURE.md), including imports inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import chainpolicy

SRC = Path(chainpolicy.__file__).parent

# Rank of every top-level part of the package: a module may import its own part and parts of a
# strictly lower rank. Parts with the same rank (labelstudio, validate) never import each other.
RANKS: dict[str, int] = {
    "errors": 0,
    "paths": 0,
    "atomic": 0,
    "schema": 0,
    "dirswap": 1,
    "records": 1,
    "contract": 2,
    "corpus": 3,
    "annotation_pass": 3,
    "prelabel": 4,
    "scale": 4,  # the datatrove ingest: imports corpus; only the CLI imports it
    "labelstudio": 5,
    "validate": 5,
    "evaluation": 6,
    "dataset": 7,
    "cli": 8,  # every cli*.py module
    "__init__": 0,  # the package itself holds only __version__
    "__main__": 9,
}


def _part(module: str) -> str:
    """``chainpolicy.validate.store`` -> ``validate``; ``chainpolicy.cli_corpus`` -> ``cli``;
    a name defined in the package itself (``chainpolicy.__version__``) -> ``__init__``."""
    first = module.split(".")[1] if "." in module else "__init__"
    if first.startswith("cli"):
        return "cli"
    if not (SRC / f"{first}.py").exists() and not (SRC / first).is_dir():
        return "__init__"
    return first


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)


def _imports(path: Path, package: str) -> list[tuple[int, str]]:
    """(line, chainpolicy module) of every import in the file, at any depth."""
    tree = ast.parse(path.read_text("utf-8"))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("chainpolicy")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative imports are not used; resolve them anyway
                base = package.rsplit(".", node.level - (path.name == "__init__.py"))[0]
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            if not name.startswith("chainpolicy"):
                continue
            if name == "chainpolicy":  # from chainpolicy import atomic, dirswap
                out += [(node.lineno, f"chainpolicy.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, name))
    return out


def _violations() -> list[str]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        name = _module_name(path)
        here = _part(name if "." in name else f"chainpolicy.{path.stem}")
        for line, module in _imports(path, name):
            there = _part(module)
            if there == here:
                continue
            if RANKS[there] >= RANKS[here]:
                found.append(f"{path.relative_to(SRC)}:{line}: {here} imports {module}")
    return found


def test_every_part_of_the_package_has_a_rank() -> None:
    parts = {_part("chainpolicy." + p.stem) for p in SRC.glob("*.py")}
    parts |= {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert parts <= set(RANKS), parts - set(RANKS)


def test_layers_import_downward_only() -> None:
    assert _violations() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from chainpolicy.validate.store import X\n", ["validate"]),
        ("def f():\n    from chainpolicy.dataset import build\n", ["dataset"]),
        ("from chainpolicy import atomic, dirswap\n", ["atomic", "dirswap"]),
        ("import chainpolicy.labelstudio.sync\n", ["labelstudio"]),
    ],
)
def test_the_checker_sees_every_kind_of_import(
    tmp_path: Path, source: str, expected: list[str]
) -> None:
    # The checker itself must not miss imports inside functions or plain `import` statements.
    probe = tmp_path / "probe.py"
    probe.write_text(source, "utf-8")
    assert [_part(m) for _, m in _imports(probe, "chainpolicy.probe")] == expected
