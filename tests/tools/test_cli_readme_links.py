"""What a pip user reads works: the README (the package index page) links only to absolute
addresses that exist in this repository, messages from the installed package name such
addresses, and every command the README suggests runs as printed after `make demo`."""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from corecors.links import PROJECT_URL
from tests.fresh_imports import modules_loaded_by

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOB = f"{PROJECT_URL}/blob/main/"
RAW = PROJECT_URL.replace("https://github.com/", "https://raw.githubusercontent.com/") + "/main/"
MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
PROJECT_ADDRESS = re.compile(re.escape(PROJECT_URL) + r"[^\s'\"`)>,]*")
DOC_URL_CALL = re.compile(r"""doc_url\(\s*['"]([^'"]+)['"](?:,\s*['"]([^'"]+)['"])?\)""")


def github_anchor(heading: str) -> str:
    """The id GitHub gives a Markdown heading."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def target_exists(url: str) -> bool:
    """``url`` names a file of this repository (and, with ``#anchor``, one of its headings)."""
    address, _, anchor = url.partition("#")
    for prefix in (BLOB, RAW, f"{PROJECT_URL}/tree/main/"):
        if address.startswith(prefix):
            path = ROOT / address.removeprefix(prefix)
            break
    else:
        return address in (PROJECT_URL, f"{PROJECT_URL}/issues", f"{PROJECT_URL}/commits/main")
    if not path.exists():
        return False
    if not anchor:
        return True
    headings = re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return anchor in {github_anchor(heading) for heading in headings}


README_LINKS = MARKDOWN_LINK.findall(README)


def test_readme_has_links() -> None:
    assert len(README_LINKS) >= 10


@pytest.mark.parametrize("url", README_LINKS)
def test_every_readme_link_is_absolute_and_exists(url: str) -> None:
    assert url.startswith("https://"), f"{url}: relative links are broken on the package index"
    if url.startswith((PROJECT_URL, RAW)):
        assert target_exists(url), url


def test_the_readme_image_is_served_raw() -> None:
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert images
    assert all(image.startswith(RAW) and target_exists(image) for image in images)


def _package_addresses() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        found += [(path.name, url) for url in PROJECT_ADDRESS.findall(text)]
        for call in DOC_URL_CALL.findall(text):
            found.append((path.name, BLOB + call[0] + (f"#{call[1]}" if call[1] else "")))
    return found


@pytest.mark.parametrize(("module", "url"), _package_addresses())
def test_every_address_in_the_package_exists(module: str, url: str) -> None:
    assert target_exists(url), f"{module}: {url}"


def test_starlette_refusal_names_the_guide_by_its_address() -> None:
    from corecors import CORSConfigError
    from corecors_asgi import CORSMiddleware

    async def app(scope: object, receive: object, send: object) -> None:
        pass

    with pytest.raises(CORSConfigError) as error:
        CORSMiddleware(app, allow_origins=["*"], allow_credentials=True)
    (url,) = PROJECT_ADDRESS.findall(str(error.value))
    assert url == f"{BLOB}docs/asgi.md#coming-from-starlette"
    assert target_exists(url)


def test_project_urls_use_one_address() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    urls = project["urls"]
    assert set(urls) >= {"Source", "Documentation", "Issues", "Changelog"}
    for url in urls.values():
        assert url.startswith(PROJECT_URL), url
        assert target_exists(url), url
    assert urls["Changelog"] == f"{BLOB}CHANGELOG.md"


def test_changelog_keeps_an_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text
    assert "keepachangelog.com" in text


# -- the README's commands -------------------------------------------------------------------

SH_BLOCKS = re.findall(r"```sh\n(.*?)```", README, re.DOTALL)
VENV_COMMANDS = [
    line.split("  #")[0].strip()
    for block in SH_BLOCKS
    for line in block.splitlines()
    if line.startswith(".venv/bin/")
]


def _as_here(command: str) -> str:
    """As printed when this interpreter is the checkout's .venv; else this interpreter."""
    if (ROOT / ".venv" / "bin" / "corecors").is_file():
        return command
    python = shlex.quote(sys.executable)
    return command.replace(".venv/bin/corecors", f"{python} -m corecors").replace(
        ".venv/bin/python", python
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_readme_commands_run_as_printed() -> None:
    (server,) = [command for command in VENV_COMMANDS if command.endswith("&")]
    port = str(_free_port())
    process = subprocess.Popen(
        shlex.split(_as_here(server.removesuffix("&")).replace("8000", port)),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        assert process.stdout is not None
        assert "Serving on" in process.stdout.readline()
        commands = [command for command in VENV_COMMANDS if command != server]
        assert {command.split()[1] for command in commands} == {"explain", "lint", "probe"}
        for command in commands:
            started = time.monotonic()
            result = subprocess.run(
                _as_here(command).replace("8000", port),
                shell=True,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=60,
            )
            # lint examples/cors.toml: exit 1, its one deliberate warning
            expected = 1 if " lint " in command else 0
            assert result.returncode == expected, (command, result.stdout, result.stderr)
            assert time.monotonic() - started < 60
    finally:
        process.terminate()
        process.wait(10)


# -- installing --------------------------------------------------------------------------------


def test_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    import corecors

    assert corecors.__version__ == version("corecors")
    # one place for the number: pyproject.toml, not a copy in the code
    written = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert f'"{written}"' not in (ROOT / "src" / "corecors" / "__init__.py").read_text()


def test_importing_the_aiohttp_adapter_without_aiohttp_names_the_extra() -> None:
    """As in an environment where `pip install corecors` left out the aiohttp extra."""
    code = (
        "import sys\n"
        "class NoAiohttp:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'aiohttp' or name.startswith('aiohttp.'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, NoAiohttp())\n"
        "import corecors_aiohttp\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        "ModuleNotFoundError: corecors_aiohttp needs aiohttp, which is not installed; "
        "install it with pip install 'corecors[aiohttp]'"
    )


def test_the_asgi_adapter_imports_without_any_framework() -> None:
    frameworks = ["aiohttp", "starlette", "uvicorn", "fastapi"]
    assert modules_loaded_by(["corecors_asgi"], frameworks) == []
