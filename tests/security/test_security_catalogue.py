"""SECURITY.md names the test covering each refusal and each pitfall: those tests must exist.

A static check (collecting the whole suite in a subprocess would cost seconds): the file
exists, the test function is defined at its top level, and a parameter id in brackets is
one of the file's string literals (or of ``tests/scenarios.py``, where the scenario ids
live), or two of them joined with ``-`` (two stacked ``parametrize``).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECURITY = ROOT / "SECURITY.md"
NODE_ID = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[([^\]`]+)\])?`")


def referenced() -> list[tuple[str, str, str | None]]:
    return [
        (match.group(1), match.group(2), match.group(3))
        for match in NODE_ID.finditer(SECURITY.read_text(encoding="utf-8"))
    ]


@cache
def _module(path: str) -> ast.Module:
    return ast.parse((ROOT / path).read_text(encoding="utf-8"))


@cache
def _top_level_names(path: str) -> frozenset[str]:
    names: set[str] = set()
    for node in _module(path).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                elements = target.elts if isinstance(target, ast.Tuple) else [target]
                names.update(e.id for e in elements if isinstance(e, ast.Name))
    return frozenset(names)


@cache
def _literals(path: str) -> frozenset[str]:
    return frozenset(
        node.value
        for node in ast.walk(_module(path))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def _known_id(path: str, param: str) -> bool:
    literals = _literals(path) | _literals("tests/scenarios.py")
    if param in literals:
        return True
    parts = param.split("-")
    return any(
        "-".join(parts[:cut]) in literals and "-".join(parts[cut:]) in literals
        for cut in range(1, len(parts))
    )


def test_security_md_names_tests() -> None:
    assert len(referenced()) > 60


@pytest.mark.parametrize(
    ("path", "function", "param"),
    referenced(),
    ids=[f"{p}::{f}" + (f"[{i}]" if i else "") for p, f, i in referenced()],
)
def test_named_test_exists(path: str, function: str, param: str | None) -> None:
    assert (ROOT / path).is_file(), path
    assert function in _top_level_names(path), f"{path} defines no {function}"
    if param is not None:
        assert _known_id(path, param), f"{path}::{function} has no parameter id {param!r}"
