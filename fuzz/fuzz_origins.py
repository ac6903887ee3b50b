"""Coverage-guided fuzzing of the origin parser, the ACRH parser and the regex audit.

    .venv/bin/python fuzz/fuzz_origins.py -max_total_time=300

* ``parse_origin`` accepts only a canonical serialization (it round-trips) of bounded length;
* ``parse_request_header_names`` returns ``None`` or at most ``max_count`` lowercase tokens;
* building a policy from any compilable regex either succeeds or raises
  ``CORSConfigError``: the audit never escapes with another exception.
"""

from __future__ import annotations

import contextlib
import re
import sys
import warnings
from typing import Any

import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]

with atheris.instrument_imports():
    from corecors import CORSConfigError, CORSPolicy
    from corecors.origins import parse_origin
    from corecors.tokens import is_token, parse_request_header_names

_CANONICAL = re.compile(r"[a-z][a-z0-9+.\-]*://[a-z0-9_.\-\[\]:]+")


def _check_origin(value: str) -> None:
    parsed = parse_origin(value)
    if parsed is None:
        return
    scheme, host, port = parsed
    serialized = f"{scheme}://{host}" if port is None else f"{scheme}://{host}:{port}"
    if serialized != value or not _CANONICAL.fullmatch(value) or len(value) > 512:
        raise AssertionError(f"non-canonical origin accepted: {value!r} -> {parsed}")


def _check_header_list(value: str, max_length: int, max_count: int) -> None:
    names = parse_request_header_names(value, max_length=max_length, max_count=max_count)
    if names is None:
        return
    if len(value) > max_length or len(names) > max_count:
        raise AssertionError(f"limits not enforced: {len(value)} chars, {len(names)} names")
    for name in names:
        if not (name.isascii() and is_token(name) and name == name.lower()):
            raise AssertionError(f"not a lowercase token: {name!r}")


def _check_regex(source: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # CORSConfigWarning, and re's FutureWarnings
        try:
            re.compile(source)
        except (re.error, RecursionError, OverflowError, ValueError):
            return
        with contextlib.suppress(CORSConfigError):
            CORSPolicy(allow_origin_regex=source, allow_credentials=True)


def test_one_input(data: bytes) -> None:
    fdp: Any = atheris.FuzzedDataProvider(data)
    target = fdp.ConsumeIntInRange(0, 2)
    text = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 600))
    if target == 0:
        _check_origin(text)
    elif target == 1:
        _check_header_list(text, fdp.ConsumeIntInRange(1, 4096), fdp.ConsumeIntInRange(1, 64))
    else:
        _check_regex(text[:80])


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
