"""What every answer must satisfy, whatever the request: shared by the atheris targets.

Kept free of pytest so the harness runs on its own; ``tests/security/test_security.py`` states the
same invariants for the test suite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from corecors import DEBUG_REASON_HEADER, CORSPolicy, Decision, RequestInfo
from corecors.origins import parse_origin
from corecors.tokens import is_token

_PRINTABLE = re.compile(r"[\x20-\x7e]*")
_LISTS = ("access-control-allow-methods", "access-control-allow-headers")


def check_headers(headers: Iterable[tuple[str, str]], policy: CORSPolicy) -> None:
    """Printable ASCII only; each CORS header once; list values are tokens; an echoed
    origin is a serialized origin the policy allows; ``*`` never with credentials."""
    seen: dict[str, str] = {}
    for name, value in headers:
        lowered = name.lower()
        if not is_token(name) or _PRINTABLE.fullmatch(value) is None:
            raise AssertionError(f"unsafe header {name!r}: {value!r}")
        if lowered.startswith("access-control-") or lowered == DEBUG_REASON_HEADER.lower():
            if lowered in seen:
                raise AssertionError(f"{name} appears twice")
            seen[lowered] = value
        if lowered in _LISTS and not all(is_token(i.strip()) for i in value.split(",")):
            raise AssertionError(f"{name}: not a token list: {value!r}")
        if lowered in _LISTS and "*" in (i.strip() for i in value.split(",")):
            raise AssertionError(f"{name}: a '*' from the request would be the wildcard")
    origin = seen.get("access-control-allow-origin")
    if (
        origin is not None
        and origin not in ("*", "null")
        and (parse_origin(origin) is None or not policy.decide(RequestInfo("GET", origin)).allowed)
    ):
        raise AssertionError(f"reflected an origin the policy does not allow: {origin!r}")
    if origin == "*" and "access-control-allow-credentials" in seen:
        raise AssertionError("'*' with credentials")


def check_decision(decision: Decision, policy: CORSPolicy) -> None:
    check_headers(decision.headers, policy)
    reason = decision.reason
    if reason is not None and (_PRINTABLE.fullmatch(reason) is None or len(reason) > 1024):
        raise AssertionError(f"unsafe reason: {reason!r}")
