"""The ASGI adapter's single-policy fast path answers exactly what its general path does.

With one ``CORSPolicy`` the middleware skips the path and answers most requests from the
policy's tables by the raw bytes of the request's fields (no decoding, no call into the
core), and sends 204 preflight answers inline. The same policy behind ``PathPolicies`` (one
prefix, ``/``) takes the general path: every message sent must be the same, for any request.
And both must answer what the core's reference (:mod:`corecors.exchange`) answers for the
same header lines: that covers how the one pass over the headers reads them (names in any
case, a field on several lines).
"""

from __future__ import annotations

import asyncio
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corecors import CORSConfigWarning, CORSPolicy, PathPolicies
from corecors.exchange import read_request, response_headers
from corecors_asgi import CORSMiddleware

from .asgi_apps import ADMIN, APP, EVIL, RawApp, call

ORIGINS = [
    APP,
    ADMIN,
    EVIL,
    "null",
    "NULL",
    "https://x.example.org",
    "https://X.example.org",
    "*",
    # A listed origin spelt as no table keyed by bytes may take for it.
    APP.upper(),
    APP + "/",
    APP + ":443",
    APP + ".",
    " " + APP,
    APP + "," + APP,
    APP.replace("app", "\xe4pp"),
    "",
]
FIELD_NAMES = [
    b"origin",
    b"Origin",
    b"ORIGIN",
    b"access-control-request-method",
    b"Access-Control-Request-Method",
    b"access-control-request-headers",
    b"ACCESS-CONTROL-REQUEST-HEADERS",
    b"access-control-request-private-network",
    b"accept",
    b"Accept",
    b"x-other",
]
VALUES = [
    "PUT",
    "put",
    "GET",
    "patch",
    "x-a",
    "X-A",
    "content-type,x-a",
    "x-a,,content-type",
    ",",
    "authorization",
    "x-\xe4",
    "true",
    "",
    "a b",
]
PATHS = ["/", "/constant", "/vary-origin-lowercase", "/vary-two-lines", "/app-sets-cors", "/boom"]


@st.composite
def policies(draw: st.DrawFn) -> CORSPolicy:
    credentials = draw(st.booleans())
    origins = draw(st.lists(st.sampled_from([APP, ADMIN, "https://*.example.org"]), unique=True))
    regex = draw(st.sampled_from([None, r"https://[a-z]+\.example\.net"]))
    if not credentials and draw(st.booleans()):
        origins, regex = ["*"], None
    null = not credentials and origins != ["*"] and draw(st.booleans())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)
        return CORSPolicy(
            allow_origins=origins,
            allow_origin_regex=regex,
            allow_null_origin=null,
            allow_methods=draw(st.lists(st.sampled_from(["PUT", "DELETE", "PATCH"]))),
            allow_headers=draw(st.lists(st.sampled_from(["x-a", "content-type"]))),
            allow_credentials=credentials,
            allow_private_network=origins != ["*"] and draw(st.booleans()),
            expose_headers=draw(st.lists(st.sampled_from(["x-request-id"]))),
            preflight_status=draw(st.sampled_from([204, 200])),
            debug=draw(st.booleans()),
        )


header_lines = st.lists(
    st.tuples(
        st.sampled_from(FIELD_NAMES),
        st.sampled_from(ORIGINS + VALUES).map(lambda value: value.encode("latin-1"))
        | st.binary(max_size=12),
    ),
    max_size=5,
)
# A browser's requests, lowercase and one line a field, as the fast path reads them.
regular_lines = st.tuples(
    st.sampled_from([APP, APP, APP, *ORIGINS]).map(
        lambda value: [(b"origin", value.encode("latin-1"))]
    ),
    st.sampled_from([[], [(b"access-control-request-method", b"PUT")]]),
    st.sampled_from([[], *([(b"access-control-request-headers", v.encode())] for v in VALUES)]),
    st.sampled_from([[], [(b"access-control-request-private-network", b"true")]]),
).map(lambda parts: [(b"accept", b"*/*"), *parts[0], *parts[1], *parts[2], *parts[3]])


@st.composite
def repeated_lines(draw: st.DrawFn) -> list[tuple[bytes, bytes]]:
    """A browser's request with one of its fields sent again (the same value or another
    plausible one): never from a browser, and the joined value must be what is decided."""
    lines = draw(regular_lines)
    name, value = draw(st.sampled_from(lines[1:]))  # a CORS field (the first is Accept)
    again = draw(st.sampled_from([value, value, b"PUT", b"x-a", APP.encode(), b"true"]))
    lines.insert(draw(st.integers(0, len(lines))), (name, again))
    return lines


@settings(max_examples=600, deadline=None)
@given(
    policy=policies(),
    method=st.sampled_from(["GET", "OPTIONS", "POST", "HEAD"]),
    path=st.sampled_from(PATHS),
    headers=header_lines | regular_lines | repeated_lines(),
)
def test_one_policy_answers_as_the_same_policy_behind_path_policies(
    policy: CORSPolicy, method: str, path: str, headers: list[tuple[bytes, bytes]]
) -> None:
    fast = CORSMiddleware(RawApp(), policy=policy)
    general = CORSMiddleware(RawApp(), policy=PathPolicies({"/": policy}))

    async def run(middleware: CORSMiddleware) -> object:
        try:
            sent = await call(middleware, method, path, headers)
        except Exception as error:  # the app's own exception, re-raised by both alike
            return type(error)
        return sent.messages

    assert asyncio.run(run(fast)) == asyncio.run(run(general))


def _cors_lines(lines: list[tuple[str, str]]) -> dict[str, list[str]]:
    """The lines CORS writes, by lowercase name (Vary's as one list)."""
    found: dict[str, list[str]] = {}
    for name, value in lines:
        lowered = name.lower()
        if lowered.startswith("access-control-") or lowered in ("vary", "cors-rejection-reason"):
            found.setdefault(lowered, []).append(value)
    if "vary" in found:
        found["vary"] = [", ".join(found["vary"])]
    return found


def assert_answers_as_the_reference(
    policy: CORSPolicy, method: str, headers: list[tuple[bytes, bytes]]
) -> None:
    """The single-policy middleware's status and CORS lines are the reference's: the request
    read by :func:`corecors.exchange.read_request` (names in any case, repeated lines
    joined), decided by ``decide``, applied by :func:`corecors.exchange.response_headers`."""
    sent = asyncio.run(call(CORSMiddleware(RawApp(), policy=policy), method, "/", headers))
    text = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]
    decision = policy.decide(read_request(method, "/", text))
    if decision.status is not None:  # a preflight the middleware answers
        assert sent.status == decision.status
    expected = response_headers(decision)  # RawApp's "/" sets no CORS line of its own
    got = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in sent.raw_headers]
    assert _cors_lines(got) == _cors_lines(expected)


@settings(max_examples=600, deadline=None)
@given(
    policy=policies(),
    method=st.sampled_from(["GET", "OPTIONS", "POST"]),
    headers=header_lines | regular_lines | repeated_lines() | repeated_lines(),
)
def test_one_policy_answers_what_the_reference_answers(
    policy: CORSPolicy, method: str, headers: list[tuple[bytes, bytes]]
) -> None:
    assert_answers_as_the_reference(policy, method, headers)


PREFLIGHT_LINES = [
    (b"origin", APP.encode()),
    (b"access-control-request-method", b"PUT"),
    (b"access-control-request-headers", b"x-a"),
    (b"access-control-request-private-network", b"true"),
]
# For each field, a value that changes the answer when it comes first on its own line.
EARLIER_VALUES = [EVIL.encode(), b"DELETE", b"x-b", b"false"]


@pytest.mark.parametrize("private_network", [False, True])
@pytest.mark.parametrize("field", range(len(PREFLIGHT_LINES)))
@pytest.mark.parametrize(
    "change", ["repeated", "after another value", "uppercase name", "capitalized name"]
)
def test_each_field_repeated_or_in_another_case_is_read_as_the_reference_reads_it(
    field: int, change: str, private_network: bool
) -> None:
    """A browser's preflight, allowed as sent, with one field sent twice or under a name in
    another case: the one pass over the headers must not take it for the plain field."""
    policy = CORSPolicy(
        allow_origins=[APP],
        allow_methods=["PUT"],
        allow_headers=["x-a"],
        allow_private_network=private_network,
    )
    lines = list(PREFLIGHT_LINES)
    name, value = lines[field]
    if change == "repeated":
        lines.append((name, value))
    elif change == "after another value":
        lines.insert(field, (name, EARLIER_VALUES[field]))
    else:
        lines[field] = (name.upper() if change == "uppercase name" else name.title(), value)
    for method in ("OPTIONS", "GET"):
        assert_answers_as_the_reference(policy, method, lines)
