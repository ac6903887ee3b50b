"""The ``corecors`` command line: argument parsing and output.

* ``corecors explain``: what a policy answers to one cross-origin request, what the browser does
  with the answer, and why (:mod:`corecors_tools.explain`). Exit 0 allowed, 1 blocked, 2 error.
* ``corecors lint FILE``: every error and warning in a TOML policy file, with its line
  (:mod:`corecors_tools.lint`). Exit 0 clean, 1 warnings only, 2 errors.
* ``corecors probe URL``: the preflight and the actual request a browser would send to a live
  server, judged as the browser judges them (:mod:`corecors_tools.probe`). Exit 0 allowed,
  1 blocked, 2 error (connection, usage).

The exit statuses are :class:`~corecors_tools.status.ExitStatus`. Every command takes
``--json``. Colour is used only when writing to a terminal and ``NO_COLOR`` is unset.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO, TypedDict

from corecors import __version__
from corecors.errors import CORSConfigError, in_toml_terms
from corecors.routing import CORSDecider
from corecors.tokens import printable

from . import demo
from .defaults import PolicyFileError, load_policy_file
from .explain import Step, explain, governing_table
from .invocation import command_prefix
from .lint import lint_file
from .probe import ProbeResult, origin_problem, probe
from .status import ExitStatus

__all__ = ["Step", "build_parser", "explain", "main"]

_RED, _GREEN, _YELLOW, _BOLD_RED, _BOLD_GREEN, _DIM = "31", "32", "33", "1;31", "1;32", "2"


class _Style:
    """ANSI colour, only on a terminal and only without ``NO_COLOR``."""

    def __init__(self, out: TextIO) -> None:
        isatty = getattr(out, "isatty", None)
        self.enabled = bool(isatty and isatty()) and not os.environ.get("NO_COLOR")

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text


def _write_json(out: TextIO, document: dict[str, Any]) -> None:
    out.write(json.dumps(document, indent=2) + "\n")


# A bare --header NAME stands for a value that is not CORS-safelisted, so it needs a preflight.
_UNSAFE_PLACEHOLDERS = {
    "content-type": "application/json",
    "accept": '"x"',
    "accept-language": '"x"',
    "content-language": '"x"',
    "range": '"x"',
}


def _parse_header_argument(text: str) -> tuple[str, str]:
    """``name`` or ``name: value``; a bare name gets a value that is never safelisted."""
    name, colon, value = text.partition(":")
    name = name.strip()
    if not name:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME or 'NAME: value'")
    if colon:
        return name, value.strip()
    return name, _UNSAFE_PLACEHOLDERS.get(name.lower(), "x")


def _origin_argument(text: str) -> str:
    """A serialized origin as browsers send it in ``Origin`` (or ``null``)."""
    problem = origin_problem(text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r}: give a timeout from 0 to 3600 seconds")
    return value


# ----------------------------------------------------------------------------------------
# explain
# ----------------------------------------------------------------------------------------


def _print_explain(
    out: TextIO, allowed: bool, steps: list[Step], policy_name: str, table: str | None
) -> None:
    paint = _Style(out)
    out.write(f"policy: {policy_name}\n")
    if table is not None:
        out.write(f'table:  [paths."{table}"]\n')
    for number, step in enumerate(steps, start=1):
        title = "preflight" if step.name == "preflight" else "actual request"
        out.write(f"\n{number}. {title}: {step.method}\n")
        for name, value in step.request_headers:
            out.write(f"     > {name}: {value}\n")
        kind = step.decision.kind.value
        status = step.decision.status
        answered = f"answered with {status}" if status is not None else "passed to the application"
        out.write(f"   corecors: {kind} ({answered})\n")
        if step.why:
            # The policy came from TOML: so does the advice.
            out.write(f"   why:      {in_toml_terms(step.why)}\n")
        for name, value in step.response_headers:
            out.write(f"     < {name}: {value}\n")
        if not step.response_headers:
            out.write("     < (no CORS headers)\n")
        if step.browser_ok:
            out.write(f"   browser:  {paint('accepts', _GREEN)}\n")
            if step.exposed:
                out.write(f"   readable headers: {', '.join(step.exposed)}\n")
        else:
            out.write(f"   browser:  {paint('blocks', _RED)}: {step.browser_message}\n")
    verdict = paint("ALLOWED", _BOLD_GREEN) if allowed else paint("BLOCKED", _BOLD_RED)
    out.write(f"\nverdict: {verdict}\n")


def _load(config: str | None) -> tuple[CORSDecider, str]:
    if config is None:
        from .defaults import default_policy

        shown = f"{command_prefix()} explain --show-default"
        return default_policy(), f"embedded default (see `{shown}`)"
    return load_policy_file(config), config


def _cmd_explain(args: argparse.Namespace, out: TextIO) -> ExitStatus:
    if args.show_default:
        from .defaults import default_policy_text

        out.write(default_policy_text())
        return ExitStatus.ALLOWED
    if args.origin is None:
        sys.stderr.write(
            "corecors explain: error: --origin is required "
            "(for example --origin https://app.example.com)\n"
        )
        return ExitStatus.ERROR
    decider, name = _load(args.config)
    allowed, steps = explain(decider, path=args.path, **_request_arguments(args))
    table = governing_table(decider, args.path)
    if args.json:
        document = {
            "policy": name,
            "table": table,
            "allowed": allowed,
            "steps": [s.as_json() for s in steps],
        }
        _write_json(out, document)
    else:
        _print_explain(out, allowed, steps, name, table)
    return ExitStatus.ALLOWED if allowed else ExitStatus.BLOCKED


# ----------------------------------------------------------------------------------------
# lint
# ----------------------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _cmd_lint(args: argparse.Namespace, out: TextIO) -> ExitStatus:
    report = lint_file(args.file)
    if args.json:
        _write_json(out, report.as_json())
        return report.exit_status
    paint = _Style(out)
    for finding in report.findings:
        where = report.path if finding.line is None else f"{report.path}:{finding.line}"
        colour = _RED if finding.severity == "error" else _YELLOW
        table = "" if finding.table is None else f'[paths."{finding.table}"] '
        out.write(f"{where}: {paint(finding.severity, colour)}: {table}{finding.message}\n")
        if finding.source is not None and finding.line is not None:
            out.write(paint(f"  {finding.line:>4} | {finding.source}", _DIM) + "\n")
    if report.errors or report.warnings:
        parts = []
        if report.errors:
            parts.append(paint(_plural(report.errors, "error"), _BOLD_RED))
        if report.warnings:
            parts.append(paint(_plural(report.warnings, "warning"), _YELLOW))
        out.write(f"\n{report.path}: {', '.join(parts)}\n")
    else:
        out.write(f"{report.path}: {paint('clean', _BOLD_GREEN)}, no errors or warnings\n")
    return report.exit_status


# ----------------------------------------------------------------------------------------
# probe
# ----------------------------------------------------------------------------------------

_SHOWN_RESPONSE_HEADERS = ("access-control-", "vary", "location", "www-authenticate")
_OUTCOME_WORDS = {
    "allowed": ("ALLOWED", _BOLD_GREEN),
    "preflight-ok": ("PREFLIGHT OK (actual request not sent)", _BOLD_GREEN),
    "blocked": ("BLOCKED", _BOLD_RED),
    "redirected": ("REDIRECTED (not followed; probe the Location)", _BOLD_RED),
    "error": ("ERROR", _BOLD_RED),
}


_SHOWN_VALUE_LIMIT = 200


def _safe(text: str) -> str:
    """``text`` with every character a terminal could act on (escape sequences, carriage
    returns, bidirectional overrides) written as a Python escape: servers choose these bytes."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def _safe_value(value: str) -> str:
    """A header value or reason phrase from the server: as sent when it is plain printable
    ASCII, else quoted the way the core quotes client-sent text in its reasons."""
    if value.isascii() and value.isprintable() and len(value) <= _SHOWN_VALUE_LIMIT:
        return value
    return printable(value, _SHOWN_VALUE_LIMIT)


_EXCHANGE_TITLES = {
    "preflight": "preflight",
    "actual": "actual request",
    "origin-check": "origin check (was the error response's origin allowed?)",
}


def _shown(name: str) -> bool:
    lowered = name.lower()
    return any(lowered.startswith(prefix) for prefix in _SHOWN_RESPONSE_HEADERS)


def _print_probe(out: TextIO, result: ProbeResult) -> None:
    paint = _Style(out)
    request = result.request
    credentials = "with credentials" if request.credentials else "without credentials"
    out.write(f"probe:  {result.url}\n")
    out.write(f"origin: {request.origin} ({credentials})\n")
    if result.outcome != "error" or result.exchanges:
        needed = "needed" if result.preflight_needed else "not needed"
        out.write(f"preflight: {needed}\n")
    for number, exchange in enumerate(result.exchanges, start=1):
        title = _EXCHANGE_TITLES[exchange.step]
        out.write(f"\n{number}. {title}: {exchange.method} {exchange.target}\n")
        for name, value in exchange.request_headers:
            if name.lower() in ("user-agent", "sec-fetch-mode", "sec-fetch-dest", "accept"):
                continue
            out.write(f"     > {name}: {value}\n")
        elapsed = f"{exchange.elapsed * 1000:.0f} ms"
        out.write(f"     < {exchange.status} {_safe_value(exchange.reason)}  ({elapsed})\n")
        hidden = 0
        for name, value in exchange.response_headers:
            if _shown(name):
                out.write(f"     < {_safe(name)}: {_safe_value(value)}\n")
            else:
                hidden += 1
        if hidden:
            out.write(paint(f"     < ({_plural(hidden, 'other header')})", _DIM) + "\n")
        blocking = [f for f in result.findings if f.step == exchange.step and f.blocking]
        if exchange.step == "origin-check":
            refused = any(finding.code == "origin-refused" for finding in result.findings)
            verdict = paint("refused", _RED) if refused else paint("allowed", _GREEN)
            out.write(f"   origin:  {verdict} by the server's CORS layer\n")
        elif blocking:
            out.write(f"   browser: {paint('blocks', _RED)} ({blocking[0].code})\n")
        else:
            out.write(f"   browser: {paint('accepts', _GREEN)}\n")
            if exchange.step == "preflight" and result.preflight_cache_seconds is not None:
                out.write(
                    f"   cached:  {result.preflight_cache_seconds} s (Chromium's preflight cache)\n"
                )
            if exchange.step == "actual" and result.exposed_headers:
                out.write(f"   readable headers: {_safe(', '.join(result.exposed_headers))}\n")
    if result.findings:
        out.write("\nfindings:\n")
        width = max(len(finding.code) for finding in result.findings)
        for finding in result.findings:
            colour = _RED if finding.severity == "error" else _YELLOW
            label = paint(f"{finding.severity:<7}", colour)
            message = _safe(finding.message)
            out.write(f"  {label}  {finding.step:<9}  {finding.code:<{width}}  {message}\n")
    word, colour = _OUTCOME_WORDS[result.outcome]
    out.write(f"\nverdict: {paint(word, colour)}\n")


def _cmd_probe(args: argparse.Namespace, out: TextIO) -> ExitStatus:
    result = probe(
        args.url,
        **_request_arguments(args),
        cookie=args.cookie,
        timeout=args.timeout,
        preflight_only=args.preflight_only,
        insecure=args.insecure,
    )
    if args.json:
        _write_json(out, result.as_json())
    else:
        _print_probe(out, result)
    return result.exit_status


# ----------------------------------------------------------------------------------------
# The parser
# ----------------------------------------------------------------------------------------


def _add_request_arguments(
    parser: argparse.ArgumentParser, *, origin_required: bool, check_origin: bool
) -> None:
    parser.add_argument(
        "--origin",
        required=origin_required,
        type=_origin_argument if check_origin else str,
        help="the page's origin, e.g. https://app.example.com",
    )
    parser.add_argument("--method", default="GET", help="the fetch() method (default GET)")
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        type=_parse_header_argument,
        metavar="NAME[:VALUE]",
        help="a request header the page sets (repeatable); a bare NAME stands for a value that "
        "is not CORS-safelisted (content-type: application/json)",
    )
    parser.add_argument(
        "--credentials", action="store_true", help="fetch with credentials: 'include'"
    )
    parser.add_argument(
        "--private-network",
        action="store_true",
        help="the request goes to a private network (legacy Private Network Access preflight)",
    )


class _RequestArguments(TypedDict):
    origin: str
    method: str
    headers: list[tuple[str, str]]
    credentials: bool
    private_network: bool


def _request_arguments(args: argparse.Namespace) -> _RequestArguments:
    """The page's ``fetch()`` as the options of :func:`_add_request_arguments` describe it."""
    return _RequestArguments(
        origin=args.origin,
        method=args.method,
        headers=args.header,
        credentials=args.credentials,
        private_network=args.private_network,
    )


def _cmd_demo(args: argparse.Namespace, out: TextIO) -> ExitStatus:
    return demo.run(args, out)  # imports a web framework only now


_Subcommands = argparse._SubParsersAction  # argparse names no public type for it
_Handler = Callable[[argparse.Namespace, TextIO], ExitStatus]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corecors", description="Explain, lint and probe CORS policies."
    )
    parser.add_argument("--version", action="version", version=f"corecors {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_explain_command(commands)
    _add_lint_command(commands)
    _add_demo_command(commands)
    _add_probe_command(commands)
    return parser


def _add_command(
    commands: _Subcommands[argparse.ArgumentParser],
    name: str,
    handler: _Handler,
    *,
    help: str,
    description: str,
) -> argparse.ArgumentParser:
    """A subcommand whose parsed arguments go to ``handler``."""
    command = commands.add_parser(name, help=help, description=description)
    command.set_defaults(handler=handler)
    return command


def _add_explain_command(commands: _Subcommands[argparse.ArgumentParser]) -> None:
    explain_parser = _add_command(
        commands,
        "explain",
        _cmd_explain,
        help="what a policy answers to one cross-origin request, and why",
        description=(
            "Show the preflight (if the browser needs one) and the actual request, the "
            "headers corecors sends, and whether the browser lets the page read the response. "
            "Exit status: 0 allowed, 1 blocked, 2 error."
        ),
    )
    explain_parser.add_argument("--config", help="a TOML policy file (default: embedded policy)")
    _add_request_arguments(explain_parser, origin_required=False, check_origin=True)
    explain_parser.add_argument("--path", default="/", help="request path (per-path policies)")
    explain_parser.add_argument("--json", action="store_true", help="machine-readable output")
    explain_parser.add_argument(
        "--show-default", action="store_true", help="print the embedded default policy and exit"
    )


def _add_lint_command(commands: _Subcommands[argparse.ArgumentParser]) -> None:
    lint_parser = _add_command(
        commands,
        "lint",
        _cmd_lint,
        help="check a TOML policy file; every error and warning with its line",
        description=(
            "Validate a TOML policy file exactly as corecors.load_policy does and print every "
            "error and warning with the line it came from and what to write instead. "
            "Exit status: 0 clean, 1 warnings only, 2 errors."
        ),
    )
    lint_parser.add_argument("file", help="the TOML policy file")
    lint_parser.add_argument("--json", action="store_true", help="machine-readable output")


def _add_demo_command(commands: _Subcommands[argparse.ArgumentParser]) -> None:
    demo_parser = _add_command(
        commands,
        "demo",
        _cmd_demo,
        help="see CORS work and fail in your browser, with corecors' reasons",
        description=(
            "Serve an API under a policy (the embedded default, or --config) and a page on "
            "another origin that runs a live table of allowed and blocked cross-origin "
            "requests. Ctrl-C stops."
        ),
    )
    demo.add_arguments(demo_parser)


def _add_probe_command(commands: _Subcommands[argparse.ArgumentParser]) -> None:
    probe_parser = _add_command(
        commands,
        "probe",
        _cmd_probe,
        help="send a browser's CORS requests to a live server and judge the answers",
        description=(
            "Send the preflight a browser would send (if one is needed) and then the actual "
            "request to URL, check the answers as a browser does, and name every fault and "
            "what the server must change. The actual request is really sent (a DELETE "
            "deletes); use --preflight-only to stop before it. Redirects are never followed. "
            "Exit status: 0 allowed, 1 blocked (or redirected), 2 error."
        ),
    )
    probe_parser.add_argument("url", help="the http:// or https:// URL the page fetches")
    # probe reports a malformed --origin as its 'invalid-origin' finding (also in --json).
    _add_request_arguments(probe_parser, origin_required=True, check_origin=False)
    probe_parser.add_argument(
        "--cookie",
        metavar="VALUE",
        help="a Cookie header for the actual request (only with --credentials; never sent on "
        "the preflight, as browsers do)",
    )
    probe_parser.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=10.0,
        metavar="S",
        help="seconds to wait for each response (default 10)",
    )
    probe_parser.add_argument(
        "--insecure", action="store_true", help="do not verify HTTPS certificates"
    )
    probe_parser.add_argument(
        "--preflight-only", action="store_true", help="send only the preflight"
    )
    probe_parser.add_argument("--json", action="store_true", help="machine-readable output")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of the ``corecors`` console script; returns the exit status."""
    stream = out if out is not None else sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "cookie", None) is not None and not args.credentials:
        parser.error("--cookie needs --credentials (browsers send cookies only then)")
    try:
        code: int = args.handler(args, stream)
    except (CORSConfigError, PolicyFileError) as error:
        sys.stderr.write(f"corecors {args.command}: {error}\n")
        return ExitStatus.ERROR
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
