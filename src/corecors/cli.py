"""The ``corecors`` command line.

``corecors explain`` shows what a policy decides for one cross-origin request, what
the browser does with the answer, and why, in plain words.

Exit status: 0 when the browser would allow the request, 1 when it would block it,
2 for a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from . import browser
from .decision import Decision
from .errors import CORSConfigError
from .routing import CORSDecider, load_policy
from .tokens import merge_vary

__all__ = ["main"]

EXIT_ALLOWED = 0
EXIT_BLOCKED = 1
EXIT_ERROR = 2


@dataclass
class Step:
    """One exchange of the browser with the server, as corecors decides it."""

    name: str
    method: str
    request_headers: list[tuple[str, str]]
    decision: Decision
    response_status: int
    response_headers: list[tuple[str, str]]
    browser_ok: bool
    browser_message: str
    exposed: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.name,
            "method": self.method,
            "request_headers": [list(item) for item in self.request_headers],
            "decision": self.decision.kind.value,
            "rejection": self.decision.rejection.value if self.decision.rejection else None,
            "reason": self.decision.reason,
            "status": self.response_status,
            "response_headers": [list(item) for item in self.response_headers],
            "browser_allows": self.browser_ok,
            "browser_message": self.browser_message,
            "exposed_headers": self.exposed,
        }


def _response_headers(decision: Decision) -> list[tuple[str, str]]:
    headers = list(decision.headers)
    vary = merge_vary(None, decision.vary)
    if vary:
        headers.append(("Vary", vary))
    return headers


def _parse_header_argument(text: str) -> tuple[str, str]:
    """``name`` or ``name: value``; a bare name gets a value that is never safelisted."""
    name, colon, value = text.partition(":")
    name = name.strip()
    if not name:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME or 'NAME: value'")
    return name, value.strip() if colon else "x"


def explain(
    decider: CORSDecider,
    *,
    origin: str,
    method: str,
    headers: Sequence[tuple[str, str]],
    credentials: bool,
    path: str,
    private_network: bool = False,
) -> tuple[bool, list[Step]]:
    """Run one request through ``decider`` and the browser's checks, step by step."""
    request = browser.BrowserRequest(
        origin=origin,
        method=method,
        headers=tuple(headers),
        credentials=credentials,
        private_network=private_network,
    )
    steps: list[Step] = []
    if browser.needs_preflight(request):
        sent = browser.preflight_request_headers(request)
        fields = {name.lower(): value for name, value in sent}
        decision = decider.decide_fields(
            "OPTIONS",
            origin,
            fields.get("access-control-request-method"),
            fields.get("access-control-request-headers"),
            fields.get("access-control-request-private-network") == "true",
            path,
        )
        # A preflight the policy does not answer reaches the application; show that.
        status = decision.status if decision.status is not None else 200
        response = _response_headers(decision)
        verdict = browser.check_preflight(request, status, response)
        steps.append(
            Step(
                "preflight",
                "OPTIONS",
                sent,
                decision,
                status,
                response,
                verdict.ok,
                verdict.message,
            )
        )
        if not verdict.ok:
            return False, steps
    actual_method = browser.normalize_method(method)
    decision = decider.decide_fields(actual_method, origin, None, None, False, path)
    response = _response_headers(decision)
    verdict = browser.check_response(request, 200, response)
    exposed = sorted(browser.exposed_response_header_names(request, response)) if verdict.ok else []
    sent = [("Origin", origin), *headers]
    steps.append(
        Step(
            "actual",
            actual_method,
            sent,
            decision,
            200,
            response,
            verdict.ok,
            verdict.message,
            exposed,
        )
    )
    return verdict.ok, steps


def _print_human(out: TextIO, allowed: bool, steps: list[Step], policy_name: str) -> None:
    colour = out.isatty()

    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if colour else text

    out.write(f"policy: {policy_name}\n")
    for number, step in enumerate(steps, start=1):
        title = "preflight" if step.name == "preflight" else "actual request"
        out.write(f"\n{number}. {title}: {step.method}\n")
        for name, value in step.request_headers:
            out.write(f"     > {name}: {value}\n")
        kind = step.decision.kind.value
        status = step.decision.status
        answered = f"answered with {status}" if status is not None else "passed to the application"
        out.write(f"   corecors: {kind} ({answered})\n")
        if step.decision.reason:
            out.write(f"   why: {step.decision.reason}\n")
        for name, value in step.response_headers:
            out.write(f"     < {name}: {value}\n")
        if not step.response_headers:
            out.write("     < (no CORS headers)\n")
        if step.browser_ok:
            out.write(f"   browser: {paint('accepts', '32')}\n")
            if step.exposed:
                out.write(f"   readable headers: {', '.join(step.exposed)}\n")
        else:
            out.write(f"   browser: {paint('blocks', '31')}: {step.browser_message}\n")
    verdict = paint("ALLOWED", "1;32") if allowed else paint("BLOCKED", "1;31")
    out.write(f"\nverdict: {verdict}\n")


def _load(config: str | None) -> tuple[CORSDecider, str]:
    if config is None:
        from .defaults import default_policy

        return default_policy(), "embedded default (see `corecors explain --show-default`)"
    return load_policy(config), config


def _cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    if args.show_default:
        from .defaults import default_policy_text

        out.write(default_policy_text())
        return EXIT_ALLOWED
    if args.origin is None:
        raise CORSConfigError(
            ["--origin is required (for example --origin https://app.example.com)"]
        )
    decider, name = _load(args.config)
    allowed, steps = explain(
        decider,
        origin=args.origin,
        method=args.method,
        headers=args.header,
        credentials=args.credentials,
        path=args.path,
        private_network=args.private_network,
    )
    if args.json:
        document = {"policy": name, "allowed": allowed, "steps": [s.as_json() for s in steps]}
        out.write(json.dumps(document, indent=2) + "\n")
    else:
        _print_human(out, allowed, steps, name)
    return EXIT_ALLOWED if allowed else EXIT_BLOCKED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corecors", description="Explain and check CORS policies."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    explain_parser = commands.add_parser(
        "explain",
        help="what a policy answers to one cross-origin request, and why",
        description=(
            "Show the preflight (if the browser needs one) and the actual request, the "
            "headers corecors sends, and whether the browser lets the page read the response. "
            "Exit status: 0 allowed, 1 blocked, 2 error."
        ),
    )
    explain_parser.add_argument("--config", help="a TOML policy file (default: embedded policy)")
    explain_parser.add_argument("--origin", help="the page's origin, e.g. https://app.example.com")
    explain_parser.add_argument("--method", default="GET", help="the fetch() method (default GET)")
    explain_parser.add_argument(
        "--header",
        action="append",
        default=[],
        type=_parse_header_argument,
        metavar="NAME[:VALUE]",
        help="a request header the page sets (repeatable)",
    )
    explain_parser.add_argument(
        "--credentials", action="store_true", help="fetch with credentials: 'include'"
    )
    explain_parser.add_argument(
        "--private-network", action="store_true", help="the request goes to a private network"
    )
    explain_parser.add_argument("--path", default="/", help="request path (per-path policies)")
    explain_parser.add_argument("--json", action="store_true", help="machine-readable output")
    explain_parser.add_argument(
        "--show-default", action="store_true", help="print the embedded default policy and exit"
    )
    explain_parser.set_defaults(handler=_cmd_explain)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of the ``corecors`` console script; returns the exit status."""
    stream = out if out is not None else sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args, stream)
    except CORSConfigError as error:
        sys.stderr.write(f"corecors: {error}\n")
        return EXIT_ERROR
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
