"""`corecors lint`: every error and warning of a TOML policy file, with the line it came from.

End to end in a subprocess, as a user runs it, plus the position index it relies on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from corecors import load_policy
from corecors_tools.tomlpos import locate

from .command import run

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cors.toml"


def lint_json(path: Path) -> tuple[int, dict[str, Any]]:
    result = run("lint", str(path), "--json")
    assert result.stderr == ""  # no Python warnings, no tracebacks
    document: dict[str, Any] = json.loads(result.stdout)
    assert document["exit_status"] == result.returncode
    return result.returncode, document


def write(tmp_path: Path, text: str, name: str = "cors.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def lines_of(document: dict[str, Any], severity: str) -> list[int | None]:
    return [f["line"] for f in document["findings"] if f["severity"] == severity]


def finding_on(document: dict[str, Any], line: int) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in document["findings"] if f["line"] == line]
    assert len(found) == 1, found
    return found[0]


CLEAN = """\
allow_origins = ["https://app.example.com"]
allow_methods = ["GET", "PUT"]
allow_headers = ["content-type"]
allow_credentials = true
max_age = 600

[paths."/public"]
allow_origins = ["*"]

[paths."/internal"]
enabled = false
"""


# -- exit status 0: clean ---------------------------------------------------------------


def test_clean_file_exits_0_and_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN)
    result = run("lint", str(path))
    assert result.returncode == 0
    assert result.stdout == f"{path}: clean, no errors or warnings\n"
    assert result.stderr == ""


def test_clean_file_json(tmp_path: Path) -> None:
    code, document = lint_json(write(tmp_path, CLEAN))
    assert code == 0
    assert document == {
        "file": str(tmp_path / "cors.toml"),
        "valid": True,
        "errors": 0,
        "warnings": 0,
        "exit_status": 0,
        "findings": [],
    }


# -- exit status 1: warnings only --------------------------------------------------------

WARNINGS = """\
allow_origins = [
    "https://app.example.com",
    "https://*.example.com",
]
allow_credentials = true
expose_headers = ["Content-Type"]
max_age = 86400
allow_methods = ["GET", "patch"]

[paths."/quick"]
allow_origins = ["https://app.example.com", "https://app.example.com"]
max_age = 2
debug = true
"""


def test_warnings_exit_1_with_the_line_of_each(tmp_path: Path) -> None:
    code, document = lint_json(write(tmp_path, WARNINGS))
    assert code == 1
    assert document["valid"] is True
    assert document["errors"] == 0
    assert lines_of(document, "warning") == [3, 6, 7, 8, 11, 12, 13]
    assert "trusts every subdomain" in finding_on(document, 3)["message"]
    assert finding_on(document, 3)["key"] == "allow_origins"
    assert finding_on(document, 3)["source"] == '"https://*.example.com",'
    assert "always readable" in finding_on(document, 6)["message"]
    assert "Chromium caps preflight caching at 7200" in finding_on(document, 7)["message"]
    assert "Did you mean 'PATCH'?" in finding_on(document, 8)["message"]


def test_lint_only_warnings_have_codes_and_the_table(tmp_path: Path) -> None:
    _, document = lint_json(write(tmp_path, WARNINGS))
    duplicate, short, debug = (finding_on(document, line) for line in (11, 12, 13))
    assert duplicate["code"] == "duplicate-entry"
    assert duplicate["table"] == "/quick"
    assert "listed twice" in duplicate["message"]
    assert short["code"] == "max-age-short"
    assert "write max_age = 600" in short["message"]
    assert debug["code"] == "debug-enabled"
    assert finding_on(document, 3)["code"] == "policy-warning"
    assert finding_on(document, 3)["table"] is None


def test_warnings_human_output(tmp_path: Path) -> None:
    path = write(tmp_path, WARNINGS)
    result = run("lint", str(path))
    assert result.returncode == 1
    out = result.stdout
    assert f"{path}:3: warning: 'https://*.example.com' with credentials" in out
    assert '    3 | "https://*.example.com",\n' in out
    assert f'{path}:12: warning: [paths."/quick"] max_age = 2 caches preflights' in out
    assert out.endswith(f"\n{path}: 7 warnings\n")
    assert "\x1b[" not in out
    assert result.stderr == ""  # warnings are printed once, never as Python warnings


def test_duplicate_points_at_the_second_occurrence_case_insensitively(tmp_path: Path) -> None:
    text = (
        'allow_origins = ["https://a.example"]\nallow_headers = [\n  "X-Token",\n  "x-token",\n]\n'
    )
    _, document = lint_json(write(tmp_path, text))
    (finding,) = document["findings"]
    assert finding["line"] == 4
    assert finding["code"] == "duplicate-entry"


def test_root_path_table_replacing_the_top_level_is_an_error(tmp_path: Path) -> None:
    text = 'allow_origins = ["https://a.example"]\n\n[paths."/"]\nallow_origins = ["*"]\n'
    code, document = lint_json(write(tmp_path, text))
    assert code == 2
    (finding,) = document["findings"]
    assert finding["severity"] == "error"
    assert "would replace the top-level policy" in finding["message"]


def test_dangerous_opt_in_is_a_warning(tmp_path: Path) -> None:
    text = (
        'allow_origins = ["http://intranet.example"]\nallow_credentials = true\n'
        "dangerously_allow_insecure_origins = true\n"
    )
    code, document = lint_json(write(tmp_path, text))
    assert code == 1
    (finding,) = document["findings"]
    assert (finding["code"], finding["line"]) == ("dangerous-opt-in", 3)


def test_enabled_that_is_not_a_boolean_is_an_error(tmp_path: Path) -> None:
    text = 'allow_origins = ["https://a.example"]\n[paths."/x"]\nenabled = "false"\n'
    code, document = lint_json(write(tmp_path, text))
    assert code == 2
    errors = [f for f in document["findings"] if f["severity"] == "error"]
    assert [(f["line"], "enabled must be true or false" in f["message"]) for f in errors] == [
        (3, True)
    ]


def test_structural_problem_does_not_hide_the_rest_of_its_table(tmp_path: Path) -> None:
    text = (
        'allow_origins = ["https://a.example"]\n'
        '[paths."/x"]\n'
        'enabled = "no"\n'
        'allow_headers = "content-type"\n'
        "max_age = 99999999\n"
    )
    code, document = lint_json(write(tmp_path, text))
    assert code == 2
    errors = [
        (f["line"], f["table"], f["key"]) for f in document["findings"] if f["severity"] == "error"
    ]
    assert errors == [(3, "/x", "enabled"), (4, "/x", "allow_headers"), (5, "/x", "max_age")]
    human = run("lint", str(tmp_path / "cors.toml")).stdout
    assert "allow_headers must be a list" in human
    assert "3 errors" in human


@pytest.mark.parametrize(
    ("table", "structural"),
    [
        ('[paths."/"]', "would replace the top-level policy"),
        ('[paths."api"]', "must start with '/'"),
        ('[paths."/x"]\nallow_origin = ["https://b.example"]', "unknown"),
    ],
    ids=["root-table", "prefix-without-slash", "unknown-key"],
)
def test_every_structural_problem_lists_the_tables_other_errors(
    tmp_path: Path, table: str, structural: str
) -> None:
    text = f'allow_origins = ["https://a.example"]\n{table}\nallow_methods = "GET"\n'
    code, document = lint_json(write(tmp_path, text))
    assert code == 2
    messages = [f["message"] for f in document["findings"] if f["severity"] == "error"]
    assert any(structural in message for message in messages), messages
    assert any("allow_methods must be a list" in message for message in messages), messages


def test_empty_policy_warns_without_a_line(tmp_path: Path) -> None:
    code, document = lint_json(write(tmp_path, "# nothing yet\n"))
    assert code == 1
    (finding,) = document["findings"]
    assert finding["line"] is None
    assert "no origin is allowed" in finding["message"]


# -- exit status 2: errors -----------------------------------------------------------------

ERRORS = """\
# every line below the comment has something wrong
allow_origins = [
    "https://App.example.com",   # uppercase
    'http://shop.example.com',   # insecure, with credentials
    "https://ok.example.com/",   # trailing slash
]
allow_methods = ["GET", "TRACE"]
allow_headers = ["content-type", "Cookie"]
expose_headers = ["set-cookie"]
allow_credentials = true
max_age = 100000
preflight_status = 301
alow_headers = ["x-token"]
"""


def test_errors_exit_2_every_error_with_its_line(tmp_path: Path) -> None:
    code, document = lint_json(write(tmp_path, ERRORS))
    assert code == 2
    assert document["valid"] is False
    assert document["warnings"] == 0
    assert lines_of(document, "error") == [3, 4, 5, 7, 8, 9, 11, 12, 13]
    expected = {
        3: "write 'https://app.example.com'",
        4: "is an insecure origin and allow_credentials = true: ",
        5: "https://ok.example.com/",
        7: "'TRACE' is forbidden",
        8: "'Cookie' is a forbidden request header",
        9: "'set-cookie' can never be exposed",
        11: "from 0 to 86400 (or leave max_age out)",
        12: "preflight_status must be 204 or 200",
        13: "did you mean 'allow_headers'?",
    }
    for line, text in expected.items():
        assert text in finding_on(document, line)["message"], line
    assert finding_on(document, 13)["key"] == "alow_headers"
    assert finding_on(document, 4)["source"].startswith("'http://shop.example.com',")
    # Advice is worded in TOML, so it can be written into the file as it stands.
    assert "dangerously_allow_insecure_origins = true" in finding_on(document, 4)["message"]
    assert "=True" not in json.dumps(document)


def test_errors_human_output(tmp_path: Path) -> None:
    path = write(tmp_path, ERRORS)
    result = run("lint", str(path))
    assert result.returncode == 2
    assert f"{path}:7: error: allow_methods: 'TRACE' is forbidden" in result.stdout
    assert '    7 | allow_methods = ["GET", "TRACE"]' in result.stdout
    assert result.stdout.endswith(f"\n{path}: 9 errors\n")


def test_wildcard_with_credentials_points_at_the_star(tmp_path: Path) -> None:
    text = 'allow_credentials = true\nallow_origins = [\n  "https://a.example",\n  "*",\n]\n'
    _, document = lint_json(write(tmp_path, text))
    errors = [f for f in document["findings"] if f["severity"] == "error"]
    assert [f["line"] for f in errors] == [4]
    assert "list the origins that may send credentials" in errors[0]["message"]


PER_PATH = """\
allow_origins = ["https://app.example.com"]

[paths."/api"]
allow_origins = ["https://*.github.io"]
allow_credentials = true
preflight_status = 302

[paths."/off"]
enabled = false
max_age = 10

[paths."public"]
allow_origins = ["*"]

[paths."/typo"]
allow_origin = ["https://a.example"]
allow_methods = ["CONNECT"]

[paths."/fine"]
allow_origins = ["https://*.example.com"]
allow_credentials = true
"""


def test_per_path_table_errors_with_lines(tmp_path: Path) -> None:
    code, document = lint_json(write(tmp_path, PER_PATH))
    assert code == 2
    found = {
        (f["line"], f["table"]): f["message"]
        for f in document["findings"]
        if f["severity"] == "error"
    }
    assert set(found) == {
        (4, "/api"),
        (6, "/api"),
        (9, "/off"),
        (12, "public"),
        (16, "/typo"),
        (17, "/typo"),
    }
    assert "public suffix 'github.io'" in found[4, "/api"]
    assert "preflight_status must be 204 or 200" in found[6, "/api"]
    assert "enabled = false takes no other keys" in found[9, "/off"]
    assert "must start with '/'" in found[12, "public"]
    assert "did you mean 'allow_origins'?" in found[16, "/typo"]
    # load_policy stops at the unknown key; lint still reports the rest of the table
    assert "'CONNECT' is forbidden" in found[17, "/typo"]


def test_per_path_warnings_are_reported_next_to_errors(tmp_path: Path) -> None:
    _, document = lint_json(write(tmp_path, PER_PATH))
    warnings = [f for f in document["findings"] if f["severity"] == "warning"]
    # a table with errors still gets its warnings; one with an unknown key does not (the
    # policy without the misspelt key is not the one meant)
    assert [(f["line"], f["table"]) for f in warnings] == [(4, "/api"), (20, "/fine")]
    assert all("trusts every subdomain" in f["message"] for f in warnings)


def test_warnings_of_a_table_with_errors(tmp_path: Path) -> None:
    text = 'allow_origins = ["*", "https://a.example"]\nallow_credentials = true\nmax_age = 9000\n'
    code, document = lint_json(write(tmp_path, text))
    assert code == 2
    found = [(f["severity"], f["line"]) for f in document["findings"]]
    assert found == [("error", 1), ("warning", 1), ("warning", 3)]
    assert "Chromium caps" in finding_on(document, 3)["message"]


def test_per_path_human_output_names_the_table(tmp_path: Path) -> None:
    path = write(tmp_path, PER_PATH)
    result = run("lint", str(path))
    assert f'{path}:6: error: [paths."/api"] preflight_status must be 204 or 200' in result.stdout
    assert "paths.'/api':" not in result.stdout  # the scope is said once, as TOML


def test_path_prefix_configured_twice(tmp_path: Path) -> None:
    text = (
        'allow_origins = ["https://a.example"]\n'
        '[paths."/api"]\nallow_origins = ["*"]\n'
        '[paths."/api/"]\nallow_origins = ["*"]\n'
    )
    code, document = lint_json(write(tmp_path, text))
    assert code == 2
    (finding,) = document["findings"]
    assert "configured twice" in finding["message"]
    assert finding["line"] == 4


def test_toml_syntax_error_reports_its_line(tmp_path: Path) -> None:
    text = 'allow_origins = ["https://a.example"]\nmax_age = \nallow_credentials = true\n'
    path = write(tmp_path, text)
    code, document = lint_json(path)
    assert code == 2
    (finding,) = document["findings"]
    assert finding["code"] == "invalid-toml"
    assert finding["line"] == 2
    assert finding["source"] == "max_age ="
    human = run("lint", str(path))
    assert human.returncode == 2
    assert f"{path}:2: error: invalid TOML: " in human.stdout


def test_missing_file_exits_2(tmp_path: Path) -> None:
    code, document = lint_json(tmp_path / "absent.toml")
    assert code == 2
    (finding,) = document["findings"]
    assert finding["code"] == "unreadable-file"
    assert finding["line"] is None


def test_lint_needs_a_file() -> None:
    assert run("lint").returncode == 2


# -- the shipped example ------------------------------------------------------------------


def test_example_policy_loads_and_lints_with_only_its_deliberate_warning() -> None:
    assert load_policy(EXAMPLE) is not None
    code, document = lint_json(EXAMPLE)
    assert code == 1
    (finding,) = document["findings"]
    assert finding["table"] == "/partner"
    assert "'https://*.partner.example' with credentials" in finding["message"]
    line = EXAMPLE.read_text().splitlines()[finding["line"] - 1]
    assert line.startswith("allow_origins")
    assert "partner.example" in line


def test_example_policy_sets_every_toml_option() -> None:
    from corecors.policy import POLICY_KEYS

    text = EXAMPLE.read_text()
    top = set(locate(text).keys)
    missing = [key for key in POLICY_KEYS if (key,) not in top]
    assert missing == ["allow_origin_predicate"]  # a Python function: code only


# -- the position index ---------------------------------------------------------------------


def test_locate_arrays_over_several_lines_with_comments_and_quoting() -> None:
    text = (
        "# [not a table] = 'x'\n"  # 1
        'a = [  # comment with ] and "quote\n'  # 2
        '  "one",\n'  # 3
        '  \'two\', "th\\"ree",\n'  # 4
        '  # "one" in a comment\n'  # 5
        '  """four""",\n'  # 6
        "]\n"  # 7
        "b = 5  # trailing\n"  # 8
        '[paths."/x y".inner]\n'  # 9
        'c.d = ["e"]\n'  # 10
        "[[arr]]\n"  # 11
        "f = { g = [1, 2], h = 'i' }\n"  # 12
        "j = '''\nmulti\nline''' \n"  # 13-15
        "k = true\n"  # 16
    )
    positions = locate(text)
    assert positions.key_line(("a",)) == 2
    assert positions.item_line(("a",), "one") == 3
    assert positions.item_line(("a",), "two") == 4
    assert positions.item_line(("a",), 'th"ree') == 4
    assert positions.item_line(("a",), "four") == 6
    assert positions.key_line(("b",)) == 8
    assert positions.table_line(("paths", "/x y", "inner")) == 9
    assert positions.item_line(("paths", "/x y", "inner", "c", "d"), "e") == 10
    assert positions.table_line(("paths", "/x y")) == 10  # only implied by the header
    assert positions.key_line(("arr", "f", "g")) == 12
    assert positions.key_line(("arr", "k")) == 16
    assert positions.table_line(("nowhere",)) is None


def test_locate_finds_the_nth_equal_element() -> None:
    positions = locate('x = [\n  "a",\n  "b",\n  "a",\n]\n')
    assert positions.item_line(("x",), "a") == 2
    assert positions.item_line(("x",), "a", 1) == 4
    assert positions.item_line(("x",), "a", 2) is None


@pytest.mark.parametrize("crlf", [False, True])
def test_locate_counts_lines_with_either_line_ending(crlf: bool) -> None:
    text = 'a = 1\n\nb = [\n "x",\n]\n'
    if crlf:
        text = text.replace("\n", "\r\n")
    positions = locate(text)
    assert positions.item_line(("b",), "x") == 4


def test_policy_findings_carry_the_checks_own_code(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'allow_origins = ["http://app.example.com"]\nallow_credentials = true\n',
    )
    _, document = lint_json(path)
    (finding,) = document["findings"]
    assert (finding["code"], finding["rule"], finding["key"], finding["line"]) == (
        "policy-error",
        "insecure-origin-with-credentials",
        "allow_origins",
        1,
    )


def test_lines_come_from_what_a_problem_is_about_not_its_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reworded message keeps its line: lint reads the problem's table, key and value."""
    from corecors.errors import Findings, Problem
    from corecors_tools import lint

    def review(config: object) -> Findings:
        findings = Findings()
        words = "a sentence that names no key and quotes no value"
        findings.problems.append(Problem(words, code="x", key="allow_methods", value="PUT"))
        findings.problems.append(Problem(words, code="y", key="debug", table="/api"))
        findings.problems.append(Problem(words, code="z", table="/api"))
        return findings

    monkeypatch.setattr(lint, "review_policy_mapping", review)
    text = (
        'allow_origins = ["https://app.example.com"]\n'
        "allow_methods = [\n"
        '  "GET",\n'
        '  "PUT",\n'
        "]\n"
        '[paths."/api"]\n'
        'allow_origins = ["https://app.example.com"]\n'
        "debug = true\n"
    )
    report = lint.lint_text(text)
    found = [(f.rule, f.line, f.table, f.key) for f in report.findings if f.rule]
    assert sorted(found, key=str) == [
        ("x", 4, None, "allow_methods"),
        ("y", 8, "/api", "debug"),
        ("z", 6, "/api", None),
    ]
