"""Coverage-guided fuzzing of ``decide`` and the ASGI adapter with atheris.

    .venv/bin/pip install atheris
    .venv/bin/python fuzz/fuzz_decide.py -max_total_time=300 -rss_limit_mb=2048

Each input is split into a policy choice, a method and the four CORS request headers
(decoded as latin-1, as the ASGI adapter does, or as UTF-8 with surrogate escapes, as
aiohttp's parser does). Any exception from ``decide`` or a broken invariant
(``fuzz/checks.py``) is a crash that atheris reports with the input that caused it.
"""

from __future__ import annotations

import asyncio
import sys
import warnings
from typing import Any

import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]

with atheris.instrument_imports():
    from checks import check_decision, check_headers

    from corecors import CORSConfigWarning, CORSPolicy, RequestInfo
    from corecors_asgi import CORSMiddleware

APP = "https://app.example.com"

with warnings.catch_warnings():
    warnings.simplefilter("ignore", CORSConfigWarning)
    POLICIES = [
        CORSPolicy(
            allow_origins=[APP, "https://admin.example.com"],
            allow_methods=["PUT", "DELETE", "PATCH"],
            allow_headers=["content-type", "authorization", "x-token"],
            expose_headers=["x-request-id"],
            allow_credentials=True,
            max_age=600,
        ),
        CORSPolicy(
            allow_origins=["https://*.example.com", "http://localhost:*", "https://*.a.b:*"],
            allow_origin_regex=r"https://[a-z0-9-]+\.preview\.example\.net",
            allow_methods=["*"],
            allow_headers=["*", "authorization"],
            allow_null_origin=True,
            allow_private_network=True,
            debug=True,
        ),
        CORSPolicy(allow_origins=["*"], allow_methods=["*"], allow_headers=["*"]),
        CORSPolicy(
            allow_origins=[APP],
            allow_headers=["x-token"],
            allow_methods=["PUT"],
            max_request_headers_length=64,
            max_request_headers_count=4,
            max_origin_length=40,
            debug=True,
        ),
    ]


async def _app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


MIDDLEWARES = [CORSMiddleware(_app, policy=policy) for policy in POLICIES]
LOOP = asyncio.new_event_loop()
NAMES = (
    b"origin",
    b"access-control-request-method",
    b"access-control-request-headers",
    b"access-control-request-private-network",
)


def _field(fdp: Any, utf8: bool) -> str | None:
    if fdp.ConsumeBool():
        return None
    raw: bytes = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 300))
    return raw.decode("utf-8", "surrogateescape") if utf8 else raw.decode("latin-1")


def test_one_input(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    index = fdp.ConsumeIntInRange(0, len(POLICIES) - 1)
    policy = POLICIES[index]
    utf8 = fdp.ConsumeBool()
    method = fdp.PickValueInList(["GET", "OPTIONS", "POST", "PUT", "OPTIONS X", "get", ""])
    origin, request_method, header_list, private_network = (_field(fdp, utf8) for _ in range(4))
    info = RequestInfo(method, origin, request_method, header_list, private_network == "true")
    check_decision(policy.decide(info), policy)
    check_decision(policy.decide_websocket(origin), policy)

    # The same fields as raw ASGI header lines, through the middleware.
    lines = [
        (name, value.encode("utf-8", "surrogateescape"))
        for name, value in zip(
            NAMES, (origin, request_method, header_list, private_network), strict=True
        )
        if value is not None
    ]
    scope = {
        "type": "http",
        "method": method,
        "path": "/",
        "headers": lines,
        "query_string": b"",
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    LOOP.run_until_complete(MIDDLEWARES[index](scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    check_headers([(n.decode("latin-1"), v.decode("latin-1")) for n, v in start["headers"]], policy)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
