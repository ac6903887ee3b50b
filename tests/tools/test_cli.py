"""The command line, end to end in a subprocess, as a user runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .command import run


def explain_with_config(tmp_path: Path, toml: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``corecors explain --config FILE *args``, FILE holding ``toml``."""
    config = tmp_path / "cors.toml"
    config.write_text(toml)
    return run("explain", "--config", str(config), *args)


def test_explain_allowed_preflighted_request_on_default_policy() -> None:
    result = run(
        "explain",
        "--origin",
        "https://app.example.com",
        "--method",
        "PUT",
        "--header",
        "content-type",
        "--header",
        "authorization",
        "--credentials",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "embedded default" in out
    assert "1. preflight: OPTIONS" in out
    assert "> Access-Control-Request-Headers: authorization,content-type" in out
    assert "corecors: preflight-allowed (answered with 204)" in out
    assert "< Access-Control-Allow-Credentials: true" in out
    assert "2. actual request: PUT" in out
    assert "verdict: ALLOWED" in out
    assert "\x1b[" not in out  # no colour when not a terminal


def test_explain_blocked_header_says_what_to_change() -> None:
    result = run(
        "explain", "--origin", "https://app.example.com", "--method", "PUT", "--header", "x-token"
    )
    assert result.returncode == 1
    assert "'x-token' is not in allow_headers" in result.stdout
    assert "verdict: BLOCKED" in result.stdout


def test_explain_lowercase_patch_is_blocked_with_case_hint() -> None:
    result = run("explain", "--origin", "https://app.example.com", "--method", "patch")
    assert result.returncode == 1
    assert "methods are case-sensitive" in result.stdout


def test_explain_simple_request_needs_no_preflight() -> None:
    result = run("explain", "--origin", "http://127.0.0.1:5173", "--method", "GET")
    assert result.returncode == 0
    assert "preflight" not in result.stdout
    assert "readable headers:" in result.stdout
    assert "x-request-id" in result.stdout


def test_explain_json_output(tmp_path: Path) -> None:
    result = run("explain", "--origin", "https://evil.example", "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["allowed"] is False
    (step,) = document["steps"]
    assert step["decision"] == "actual-rejected"
    assert step["rejection"] == "origin-not-allowed"
    assert step["response_headers"] == [["Vary", "Origin"]]


def test_explain_with_config_file_and_path(tmp_path: Path) -> None:
    toml = 'allow_origins = ["https://app.example.com"]\n[paths."/public"]\nallow_origins = ["*"]\n'
    result = explain_with_config(
        tmp_path, toml, "--origin", "https://any.example", "--path", "/public/data"
    )
    assert result.returncode == 0, result.stdout
    assert "< Access-Control-Allow-Origin: *" in result.stdout
    blocked = explain_with_config(
        tmp_path, toml, "--origin", "https://any.example", "--path", "/private"
    )
    assert blocked.returncode == 1


def test_explain_reports_configuration_errors(tmp_path: Path) -> None:
    toml = 'allow_origins = ["*"]\nallow_credentials = true\n'
    result = explain_with_config(tmp_path, toml, "--origin", "https://a.example")
    assert result.returncode == 2
    assert "list the origins that may send credentials" in result.stderr


@pytest.mark.parametrize(
    ("argv", "status", "stream", "expected"),
    [
        pytest.param(
            ["explain", "--show-default"],
            0,
            "stdout",
            "allow_origins",
            id="explain_show_default_prints_the_embedded_policy",
        ),
        pytest.param(
            ["explain"], 2, "stderr", "--origin is required", id="explain_requires_origin"
        ),
        pytest.param(["demo", "--help"], 0, "stdout", "--server", id="demo_subcommand_is_wired"),
    ],
)
def test_command_exits_with_its_status_and_says(
    argv: list[str], status: int, stream: str, expected: str
) -> None:
    result = run(*argv)
    assert result.returncode == status
    assert expected in (result.stdout if stream == "stdout" else result.stderr)


@pytest.mark.parametrize("argv", [[], ["bogus"]])
def test_usage_errors_exit_2(argv: list[str]) -> None:
    assert run(*argv).returncode == 2


PER_PATH = """\
allow_origins = ["https://app.example.com"]
[paths."/public"]
allow_origins = ["*"]
[paths."/hooks"]
enabled = false
"""


def test_explain_names_the_governing_table(tmp_path: Path) -> None:
    result = explain_with_config(
        tmp_path, PER_PATH, "--origin", "https://a.example", "--path", "/public/x"
    )
    assert result.returncode == 0
    assert 'table:  [paths."/public"]\n' in result.stdout
    top = explain_with_config(tmp_path, PER_PATH, "--origin", "https://a.example")
    assert "table:" not in top.stdout


def test_explain_says_why_a_disabled_path_gets_no_headers(tmp_path: Path) -> None:
    result = explain_with_config(
        tmp_path,
        PER_PATH,
        "--origin",
        "https://app.example.com",
        "--path",
        "/hooks/github",
        "--json",
    )
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["table"] == "/hooks"
    (step,) = document["steps"]
    assert step["decision"] == "disabled"
    assert "enabled = false" in step["why"]
    assert step["browser_failure"] == "missing-allow-origin"


APP_ONLY = 'allow_origins = ["https://app.example.com"]\n'


@pytest.mark.parametrize(
    ("toml", "request_args", "says", "never_says"),
    [
        pytest.param(
            '[paths."/api"]\n' + APP_ONLY,
            ["--path", "/x"],
            ["no policy covers '/x'"],
            [],
            id="path_no_table_covers_without_top_level_policy",
        ),
        pytest.param(
            APP_ONLY + 'allow_headers = ["*"]\n',
            ["--header", "Authorization: Bearer x"],
            [
                "'*' alone in allow_headers excludes 'authorization'",
                "list 'authorization' next to '*'",
            ],
            [],
            id="authorization_not_covered_by_wildcard",
        ),
        pytest.param(
            APP_ONLY,
            ["--private-network"],
            ["set allow_private_network = true to allow it"],
            ["=True"],
            id="words_its_advice_in_toml",
        ),
    ],
)
def test_explain_blocks_with_advice(
    tmp_path: Path, toml: str, request_args: list[str], says: list[str], never_says: list[str]
) -> None:
    """A request from https://app.example.com that the policy blocks: what explain advises."""
    result = explain_with_config(
        tmp_path, toml, "--origin", "https://app.example.com", *request_args
    )
    assert result.returncode == 1
    for text in says:
        assert text in result.stdout
    for text in never_says:
        assert text not in result.stdout


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("explain", "lint", "probe"):
        assert command in result.stdout


@pytest.mark.parametrize(
    "name", ["content-type", "Accept", "accept-language", "content-language", "range", "x-a"]
)
def test_bare_header_name_always_needs_a_preflight(name: str) -> None:
    result = run("explain", "--origin", "https://app.example.com", "--header", name, "--json")
    document = json.loads(result.stdout)
    assert document["steps"][0]["step"] == "preflight"


def test_bare_content_type_stands_for_json() -> None:
    result = run("explain", "--origin", "https://app.example.com", "--header", "content-type")
    assert "     > content-type: application/json\n" in result.stdout


def test_version_is_the_installed_distributions() -> None:
    from importlib.metadata import version

    result = run("--version")
    assert result.returncode == 0
    assert result.stdout == f"corecors {version('corecors')}\n"


@pytest.mark.parametrize(
    "origin",
    ["app.example.com", "https://app.example.com/", "https://App.example.com", "*", ""],
)
def test_explain_origin_that_is_not_serialized_is_a_usage_error(origin: str) -> None:
    result = run("explain", "--origin", origin)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "argument --origin" in result.stderr
    assert "write scheme://host[:port]" in result.stderr
    assert "e.g. 'https://app.example.com'" in result.stderr


def test_explain_accepts_the_null_origin() -> None:
    result = run("explain", "--origin", "null")
    assert result.returncode == 1  # refused by the default policy, not a usage error
    assert "verdict: BLOCKED" in result.stdout


@pytest.mark.parametrize("what", ["missing", "directory"])
def test_explain_config_that_cannot_be_read_is_not_an_invalid_policy(
    tmp_path: Path, what: str
) -> None:
    config = tmp_path / "nope.toml"
    if what == "directory":
        config.mkdir()
    result = run("explain", "--config", str(config), "--origin", "https://a.example")
    assert result.returncode == 2
    assert result.stderr.startswith(f"corecors explain: cannot read the policy file '{config}': ")
    assert "invalid CORS policy" not in result.stderr


def test_explain_default_policy_names_a_command_that_runs() -> None:
    result = run("explain", "--origin", "https://app.example.com")
    line = next(line for line in result.stdout.splitlines() if line.startswith("policy:"))
    command = line.split("`")[1]
    assert command.endswith(" explain --show-default")
    shown = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "allow_origins" in shown.stdout
