"""The documents in docs/ name only files and tests that exist, and define R1-R28 once each."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CHECKED = ("requirements.md", "architecture.md", "benchmarks.md")

# A path in backticks from the repository's root, optionally a pytest node id after it.
CITATION = re.compile(r"`((?:src|tests|bench|docs|migrations)/[^`\s:]+)((?:::\w+)*)")


def citations(name: str) -> list[tuple[str, list[str]]]:
    text = (DOCS / name).read_text(encoding="utf-8")
    return [
        (path.rstrip("/"), [part for part in node.split("::") if part])
        for path, node in CITATION.findall(text)
    ]


@cache
def definitions(path: str) -> dict[str, set[str]]:
    """Top-level classes and functions of a test module, with each class's methods."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names[node.name] = {
                item.name
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
            }
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names[node.name] = set()
    return names


def defined(path: str, node: list[str]) -> bool:
    """`node` is `[function]` or `[class, method]` of the test module at `path`."""
    found = definitions(path)
    if len(node) > 2 or node[0] not in found:
        return False
    return len(node) == 1 or node[1] in found[node[0]]


@pytest.mark.parametrize("name", CHECKED)
def test_every_cited_path_and_test_exists(name: str) -> None:
    cited = citations(name)
    assert cited, f"docs/{name} cites no path"
    missing = []
    for path, node in cited:
        if not (ROOT / path).exists():
            missing.append(path)
            continue
        if node and not defined(path, node):
            missing.append("::".join([path, *node]))
    assert not missing, f"docs/{name} cites what does not exist: {missing}"


def test_each_requirement_has_one_section() -> None:
    text = (DOCS / "requirements.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (R\d+)\.", text, flags=re.MULTILINE)
    assert headings == [f"R{number}" for number in range(1, 29)]
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:29]:
        assert "- Section: " in section
        assert "- Enforced: " in section
        assert "- Tested: " in section
