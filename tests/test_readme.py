"""The README's Python examples run as written and do what the README says."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.DOTALL)


def run_block(marker: str) -> dict[str, Any]:
    (block,) = [block for block in BLOCKS if marker in block]
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(block, "README.md", "exec"), namespace)
    return namespace


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_every_readme_block_runs(index: int) -> None:
    exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), {"__name__": "readme"})


def test_quickstart_decision_is_what_the_comments_say() -> None:
    namespace = run_block("decision = policy.decide(")
    decision = namespace["decision"]
    assert decision.status == 204
    assert decision.headers[0] == ("Access-Control-Allow-Origin", "https://app.example.com")
    assert decision.vary == (
        "Origin",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
    )
    assert decision.reason is None


def test_own_server_block_applies_the_decision_to_the_apps_headers() -> None:
    namespace = run_block("read_request(")
    assert namespace["status"] == 200
    assert namespace["headers"] == [
        ("Content-Type", "text/plain"),
        ("Access-Control-Allow-Origin", "https://app.example.com"),
        ("Vary", "Origin"),
    ]


async def send(app: Any, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.request(method, path, headers=headers)


async def test_fastapi_one_import_switch_keeps_starlettes_answers() -> None:
    app = run_block("origins = [")["app"]
    origin = {"Origin": "https://app.example.com"}
    preflight = await send(
        app,
        "OPTIONS",
        "/",
        {
            **origin,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    # What the README promises: Starlette's 200, and "*" still lets Authorization through.
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-headers"] == "authorization, content-type"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    response = await send(app, "GET", "/", origin)
    assert response.json() == {"message": "Hello World"}
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"
    refused = await send(
        app,
        "OPTIONS",
        "/",
        {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert refused.status_code == 400
    assert not [name for name in refused.headers if name.startswith("access-control-")]


async def test_starlette_one_import_switch_serves_cors() -> None:
    app = run_block("middleware=[Middleware(CORSMiddleware")["app"]
    response = await send(app, "GET", "/", {"Origin": "https://app.example.com"})
    assert response.text == "Homepage"
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"


async def test_fastapi_policy_example_answers_preflights_and_requests() -> None:
    app = run_block("app.add_middleware(CORSMiddleware, policy=policy)")["app"]
    origin = {"Origin": "https://app.example.com"}
    preflight = await send(
        app, "OPTIONS", "/items/1", {**origin, "Access-Control-Request-Method": "PUT"}
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-credentials"] == "true"
    response = await send(app, "GET", "/items/1", origin)
    assert response.json() == {"id": 1}
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"
    refused = await send(app, "GET", "/items/1", {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in refused.headers
    assert refused.headers["vary"] == "Origin"


async def test_starlette_example_applies_per_path_policies() -> None:
    app = run_block("policies = PathPolicies(")["app"]
    public = await send(app, "GET", "/public/data", {"Origin": "https://anyone.example"})
    assert public.headers["access-control-allow-origin"] == "*"
    api = await send(app, "GET", "/api/data", {"Origin": "https://pr-7.preview.example.com"})
    assert api.headers["access-control-allow-origin"] == "https://pr-7.preview.example.com"
    assert api.headers["access-control-expose-headers"] == "x-request-id"


async def test_aiohttp_example_serves_cors(aiohttp_client: Any) -> None:
    app = run_block("corecors_aiohttp.setup(")["app"]
    client = await aiohttp_client(app)
    origin = "https://client.example.org"
    preflight = await client.options(
        "/hello",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-requested-with",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Max-Age"] == "3600"
    response = await client.get("/hello", headers={"Origin": origin})
    assert await response.text() == "Hello!"
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Expose-Headers"] == "x-custom-server-header"
    missing = await client.get("/nowhere", headers={"Origin": origin})
    assert missing.status == 404
    assert missing.headers["Access-Control-Allow-Origin"] == origin
