"""Every type checker reads corecors' public API the same way.

pyright (what VS Code's Pylance runs) checks the README's Python examples and
tests/typing/user_code.py, which mypy --strict checks too (make typecheck), and
``pyright --verifytypes`` finds every public symbol of the three packages fully typed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent
PYRIGHT = Path(sys.executable).parent / "pyright"  # from the dev extra: pyright[nodejs]
README_BLOCKS = re.findall(
    r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL
)


def pyright(*arguments: str, cwd: Path) -> dict[str, Any]:
    assert PYRIGHT.exists(), "pyright is missing: pip install -e '.[dev]' (make venv)"
    # The packages as installed (src on the path): what a user's checker sees.
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    completed = subprocess.run(
        [str(PYRIGHT), "--pythonpath", sys.executable, "--outputjson", *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report: dict[str, Any] = json.loads(completed.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pyright did not run:\n{completed.stdout}\n{completed.stderr}")
    return report


def errors(report: dict[str, Any]) -> list[str]:
    return [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]


def test_readme_examples_and_typical_user_code_pass_pyright(tmp_path: Path) -> None:
    assert README_BLOCKS
    files = [str(ROOT / "tests" / "typing" / "user_code.py")]
    for index, block in enumerate(README_BLOCKS):
        path = tmp_path / f"readme_block_{index}.py"
        path.write_text(block, encoding="utf-8")
        files.append(str(path))
    (tmp_path / "pyrightconfig.json").write_text(
        json.dumps({"pythonVersion": "3.11", "typeCheckingMode": "standard"}), encoding="utf-8"
    )
    report = pyright("--project", str(tmp_path), *files, cwd=tmp_path)
    assert report["summary"]["filesAnalyzed"] == len(files)
    assert errors(report) == []


@pytest.mark.parametrize("package", ["corecors", "corecors_asgi", "corecors_aiohttp"])
def test_verifytypes_finds_every_public_symbol_typed(package: str, tmp_path: Path) -> None:
    report = pyright("--verifytypes", package, "--ignoreexternal", cwd=tmp_path)
    completeness = report["typeCompleteness"]
    assert completeness["packageRootDirectory"] == str(ROOT / "src" / package)
    unknown = [
        f"{symbol['name']}: {[d['message'] for d in symbol['diagnostics']]}"
        for symbol in completeness["symbols"]
        if not symbol["isTypeKnown"] or any(d["severity"] == "error" for d in symbol["diagnostics"])
    ]
    assert unknown == []
    assert completeness["completenessScore"] == 1
