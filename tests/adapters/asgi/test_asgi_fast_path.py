"""The ASGI adapter's single-policy fast path answers exactly what its general path does.

With one ``CORSPolicy`` the middleware skips the path, answers requests without ``Origin``
with the policy's prebuilt decision and refusals with one built in advance, and sends 204
preflight answers inline. The same policy behind ``PathPolicies`` (one prefix, ``/``) takes
the general path: every message sent must be the same, for any request.
"""

from __future__ import annotations

import asyncio
import warnings

from hypothesis import given, settings
from hypothesis import strategies as st

from corecors import CORSConfigWarning, CORSPolicy, PathPolicies
from corecors_asgi import CORSMiddleware

from .asgi_apps import ADMIN, APP, EVIL, RawApp, call

ORIGINS = [APP, ADMIN, EVIL, "null", "https://x.example.org", "https://X.example.org", "*"]
FIELD_NAMES = [
    b"origin",
    b"Origin",
    b"access-control-request-method",
    b"Access-Control-Request-Method",
    b"access-control-request-headers",
    b"access-control-request-private-network",
    b"accept",
    b"x-other",
]
VALUES = ["PUT", "GET", "patch", "x-a", "content-type,x-a", "authorization", "true", "", "a b"]
PATHS = ["/", "/constant", "/vary-origin-lowercase", "/vary-two-lines", "/app-sets-cors", "/boom"]


@st.composite
def policies(draw: st.DrawFn) -> CORSPolicy:
    credentials = draw(st.booleans())
    origins = draw(st.lists(st.sampled_from([APP, ADMIN, "https://*.example.org"]), unique=True))
    if not credentials and draw(st.booleans()):
        origins = ["*"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CORSConfigWarning)
        return CORSPolicy(
            allow_origins=origins,
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
        st.sampled_from(ORIGINS + VALUES).map(lambda value: value.encode("latin-1")),
    ),
    max_size=5,
)


@settings(max_examples=400, deadline=None)
@given(
    policy=policies(),
    method=st.sampled_from(["GET", "OPTIONS", "POST", "HEAD"]),
    path=st.sampled_from(PATHS),
    headers=header_lines,
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
