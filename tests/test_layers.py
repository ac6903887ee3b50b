"""The layers of src/ (docs/design.md, "Layout"): which package may import which.

    corecors          the sans-IO core: imports no other package of this repository, no
                      network or event-loop module, no third-party library but publicsuffixlist
    corecors_asgi     imports the core (and no framework)
    corecors_aiohttp  imports the core and aiohttp
    corecors_tools    imports the core; only the demo imports the adapters

Read from the source with ``ast`` (every import statement, including the ones inside functions
and ``TYPE_CHECKING`` blocks), and checked once more by importing the core in a fresh
interpreter and listing what it loaded.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .fresh_imports import modules_loaded_by

SRC = Path(__file__).resolve().parent.parent / "src"

CORE = "corecors"
ASGI = "corecors_asgi"
AIOHTTP = "corecors_aiohttp"
TOOLS = "corecors_tools"
PACKAGES = (CORE, ASGI, AIOHTTP, TOOLS)

#: The packages of this repository each one may import (itself included).
MAY_IMPORT: dict[str, frozenset[str]] = {
    CORE: frozenset({CORE}),
    ASGI: frozenset({CORE, ASGI}),
    AIOHTTP: frozenset({CORE, AIOHTTP}),
    TOOLS: frozenset({CORE, TOOLS}),
}

#: Modules allowed one more package than their own: why, in each case.
EXCEPTIONS: dict[str, tuple[frozenset[str], str]] = {
    "corecors.__main__": (frozenset({TOOLS}), "`python -m corecors` runs the command line"),
    "corecors_tools.demo": (
        frozenset({ASGI, AIOHTTP}),
        "the demo serves its API through each adapter",
    ),
}

#: Third-party distributions each package may import (by top-level module name).
THIRD_PARTY: dict[str, frozenset[str]] = {
    CORE: frozenset({"publicsuffixlist", "re2"}),  # re2: google-re2, for allow_origin_regex
    ASGI: frozenset(),
    AIOHTTP: frozenset({"aiohttp", "multidict", "yarl"}),
    TOOLS: frozenset({"aiohttp", "uvicorn"}),  # the demo's servers, imported when it starts
}

#: Standard-library modules that do I/O or run an event loop: never in the core.
IO_MODULES = frozenset({"socket", "ssl", "http", "asyncio", "webbrowser"})

#: The tool modules that may use them: the probe's transport and the demo's servers. The rest of
#: corecors_tools (explain, lint, the probe's diagnosis) works on values only.
TOOLS_DOING_IO = frozenset({"corecors_tools.http_transport", "corecors_tools.demo"})


@dataclass(frozen=True)
class Import:
    module: str
    """The module that imports."""
    target: str
    """The full name of what it imports (relative imports resolved)."""
    line: int

    @property
    def top(self) -> str:
        return self.target.partition(".")[0]

    def __str__(self) -> str:
        path = self.module.replace(".", "/")
        return f"{path}.py:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[Import]:
    module = module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(Import(module, alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                assert node.module is not None
                base = node.module
            else:
                # `from .x import y` in a.b resolves against the package a; in a/__init__.py, a.
                package = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{node.module}" if node.module else package
            if base == "__future__":
                continue
            # `from . import demo` imports the module corecors_tools.demo.
            folder = SRC.joinpath(*base.split("."))
            targets = {
                f"{base}.{alias.name}" if (folder / f"{alias.name}.py").is_file() else base
                for alias in node.names
            }
            found.extend(Import(module, target, node.lineno) for target in sorted(targets))
    return found


def modules_of(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def all_imports() -> list[Import]:
    return [
        found for package in PACKAGES for path in modules_of(package) for found in imports_of(path)
    ]


def test_every_package_is_found() -> None:
    """The checks below cover something: each package has its modules and its imports."""
    names = {module_name(path) for package in PACKAGES for path in modules_of(package)}
    for expected in (
        "corecors.decision",
        "corecors.policy",
        "corecors_asgi.middleware",
        "corecors_aiohttp",
        "corecors_tools.cli",
        "corecors_tools.probe",
        "corecors_tools.http_transport",
        "corecors_tools.demo",
    ):
        assert expected in names
    tops = {found.top for found in all_imports()}
    assert {CORE, TOOLS, ASGI, AIOHTTP, "socket", "asyncio", "publicsuffixlist"} <= tops
    assert set(EXCEPTIONS) <= names
    assert set(TOOLS_DOING_IO) <= names


def test_relative_imports_are_resolved_to_their_package() -> None:
    found = {(i.module, i.target) for i in imports_of(SRC / "corecors_tools" / "cli.py")}
    assert ("corecors_tools.cli", "corecors_tools.demo") in found  # from . import demo
    assert ("corecors_tools.cli", "corecors_tools.probe") in found  # from .probe import ...
    assert ("corecors_tools.cli", "corecors.errors") in found
    in_init = {i.target for i in imports_of(SRC / "corecors" / "__init__.py")}
    assert "corecors.decision" in in_init  # from .decision import ... in a package's __init__


def test_packages_import_only_the_layers_below_them() -> None:
    wrong = []
    for found in all_imports():
        if found.top not in PACKAGES:
            continue
        package = found.module.partition(".")[0]
        allowed = MAY_IMPORT[package]
        if found.module in EXCEPTIONS:
            allowed = allowed | EXCEPTIONS[found.module][0]
        if found.top not in allowed:
            wrong.append(str(found))
    assert wrong == []


def test_third_party_imports_are_the_ones_each_package_needs() -> None:
    wrong = []
    for found in all_imports():
        if found.top in PACKAGES or found.top in sys.stdlib_module_names:
            continue
        if found.top not in THIRD_PARTY[found.module.partition(".")[0]]:
            wrong.append(str(found))
    assert wrong == []


@pytest.mark.parametrize("package", [CORE, ASGI, AIOHTTP, TOOLS])
def test_no_network_or_event_loop_outside_the_places_that_serve_or_send(package: str) -> None:
    """The core and the adapters never open a socket or run a loop (the server does that);
    in the tools only the probe's transport and the demo do."""
    wrong = [
        str(found)
        for found in all_imports()
        if found.module.partition(".")[0] == package
        and found.top in IO_MODULES
        and found.module not in TOOLS_DOING_IO
    ]
    assert wrong == []


# What importing the core may not load, whichever module of it pulls it in (directly, through
# the standard library, or through a dependency).
_NOT_IN_THE_CORE = IO_MODULES | {ASGI, AIOHTTP, TOOLS, "aiohttp", "starlette", "uvicorn"}


def test_importing_the_core_loads_no_network_event_loop_adapter_or_tool() -> None:
    core_modules = [module_name(path) for path in modules_of(CORE) if path.name != "__main__.py"]
    assert len(core_modules) > 5
    assert modules_loaded_by(core_modules, _NOT_IN_THE_CORE) == []


def test_the_probe_diagnosis_imports_without_sockets() -> None:
    """`corecors probe` without a network: the diagnosis and its data load no socket module."""
    tools = ["corecors_tools.probe", "corecors_tools.explain", "corecors_tools.lint"]
    assert modules_loaded_by(tools, ["socket", "ssl", "http.client"]) == []


def test_the_transport_and_the_demo_are_what_loads_sockets() -> None:
    """The check above can see a socket module when one is loaded."""
    assert modules_loaded_by(["corecors_tools.http_transport"], ["socket", "ssl", "http"]) == [
        "http",
        "http.client",
        "socket",
        "ssl",
    ]
