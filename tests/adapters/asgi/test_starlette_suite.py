"""Starlette's own CORS tests, run against ``corecors_asgi.CORSMiddleware``.

``tests/middleware/test_cors.py`` is taken from the source distribution of the Starlette
installed here (fetched from PyPI with pip at test time, kept in pytest's cache, never copied
into this repository), its one ``from starlette.middleware.cors import CORSMiddleware`` line
changed to ``from corecors_asgi import CORSMiddleware``, and run with Starlette's own pytest
configuration in a separate pytest process. Every test must pass except the deliberate
differences listed by name, with the reason, in docs/asgi.md ("Starlette's own tests"); a
listed test that passes fails this test too, so the list stays exact.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[3] / "docs" / "asgi.md"
STARLETTE_IMPORT = "from starlette.middleware.cors import CORSMiddleware\n"
CORECORS_IMPORT = "from corecors_asgi import CORSMiddleware\n"
# What Starlette's test module needs from its test tree, besides itself.
SUPPORT_FILES = ("pyproject.toml", "tests/__init__.py", "tests/conftest.py", "tests/types.py")
SUITE = "tests/middleware/test_cors.py"


def documented_differences() -> dict[str, str]:
    """Test name -> reason, from the table under "Starlette's own tests" in docs/asgi.md."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### Starlette's own tests", 1)[1].split("\n#", 1)[0]
    rows = re.findall(r"^\| `(test_\w+)` \| (.+?) \|$", section, re.MULTILINE)
    return dict(rows)


def starlette_sdist(cache_dir: Path) -> Path:
    """The installed Starlette's source distribution, downloaded once per cache."""
    release = version("starlette")
    sdist = cache_dir / f"starlette-{release}.tar.gz"
    if not sdist.exists():
        fetched = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"starlette=={release}",
                "--dest",
                str(cache_dir),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        problem = f"could not fetch Starlette {release}'s sdist from PyPI:\n{fetched.stderr}"
        assert fetched.returncode == 0, problem
        assert sdist.exists(), problem
    return sdist


def unpack_suite(sdist: Path, into: Path) -> Path:
    """Starlette's CORS tests and what they need, with only the middleware import changed."""
    root = sdist.name.removesuffix(".tar.gz")
    with tarfile.open(sdist) as archive:
        for name in (*SUPPORT_FILES, SUITE):
            member = archive.extractfile(f"{root}/{name}")
            assert member is not None, name
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(member.read())
    (into / "tests" / "middleware" / "__init__.py").touch()
    suite = into / SUITE
    source = suite.read_text(encoding="utf-8")
    assert source.count(STARLETTE_IMPORT) == 1, "Starlette's test no longer imports it so"
    suite.write_text(source.replace(STARLETTE_IMPORT, CORECORS_IMPORT), encoding="utf-8")
    return suite


def run_suite(directory: Path) -> dict[str, str]:
    """Test name -> "passed", "failed" or "skipped", from Starlette's suite in its own run."""
    report = directory / "report.xml"
    environment = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "anyio.pytest_plugin",  # the one plugin Starlette's tests use
            "-p",
            "no:cacheprovider",
            # corecors' configuration warnings are advice to the user, not failures (Starlette's
            # configuration turns every warning into an error, for its own code).
            "-W",
            "default::corecors.CORSConfigWarning",
            f"--junitxml={report}",
            "-q",
            SUITE,
        ],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert report.exists(), completed.stdout + completed.stderr
    outcomes: dict[str, str] = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.attrib["name"].split("[", 1)[0]
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        # A test run once per anyio backend counts as failed if any run failed.
        if outcomes.get(name) != "failed":
            outcomes[name] = outcome
    return outcomes


def test_the_documented_differences_have_reasons() -> None:
    differences = documented_differences()
    assert differences, "docs/asgi.md lists no differences: the parser lost the table"
    for name, reason in differences.items():
        assert len(reason.split()) >= 5, f"{name}: give the reason, not a word"


def test_starlettes_own_cors_tests_pass_but_the_documented_differences(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    sdist = starlette_sdist(request.config.cache.mkdir("starlette-sdist"))
    unpack_suite(sdist, tmp_path)
    outcomes = run_suite(tmp_path)
    differences = documented_differences()

    assert len(outcomes) >= 18, outcomes  # Starlette 1.10 has 18; fewer means a broken run
    failing = [name for name, outcome in outcomes.items() if outcome != "passed"]
    unexpected = sorted(name for name in failing if name not in differences)
    assert not unexpected, f"failing but not documented as a difference: {unexpected}"
    stale = sorted(name for name in differences if outcomes.get(name) != "failed")
    assert not stale, f"documented as differences but not failing (or gone): {stale}"
    passed = sum(outcome == "passed" for outcome in outcomes.values())
    # Starlette 1.10: 9 of 18 (the rest are the documented refusals and differences).
    assert passed >= 9, outcomes
