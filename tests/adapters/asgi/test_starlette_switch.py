"""Switching from Starlette's CORSMiddleware by changing one import, in process.

Starlette-style arguments keep Starlette's answers where that is safe; every corecors option
is accepted beside them, so each refusal's advice can be followed as written; and a refused
configuration that a framework builds lazily fails the ``lifespan`` startup instead of
leaving an application that answers 500. (The same with real servers: test_asgi_startup.py.)
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.middleware import Middleware

from corecors import CORSConfigError, CORSPolicy, load_policy
from corecors_asgi import CORSMiddleware, CORSPolicyOptions
from corecors_tools.lint import lint_text
from tests.scenarios import preflight_headers

from .asgi_apps import ACAH, ACAO, APP, EVIL, Sent, call, client, starlette_app

PREFLIGHT = {
    "Origin": APP,
    "Access-Control-Request-Method": "PUT",
    "Access-Control-Request-Headers": "authorization,content-type",
    "Cookie": "session=1",
}
ACCEPTED_KEYWORDS = {
    "allow_origins",
    "allow_methods",
    "allow_headers",
    "allow_credentials",
    "allow_origin_regex",
    "allow_private_network",
    "expose_headers",
    "max_age",
    "policy",
    "handle_errors",
    "check_websocket_origin",
    *CORSPolicyOptions.__annotations__,
}


async def test_star_headers_let_authorization_through_as_in_starlette() -> None:
    app = starlette_app(
        [
            Middleware(
                CORSMiddleware,
                allow_origins=[APP],
                allow_credentials=True,
                allow_methods=["*"],
                allow_headers=["*"],
            )
        ]
    )
    async with client(app) as http:
        response = await http.options("/", headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.text == "OK"
    assert response.headers[ACAO] == APP
    assert response.headers[ACAH] == "authorization, content-type"


async def test_the_fetch_standards_star_refuses_authorization_under_policy() -> None:
    policy = CORSPolicy(
        allow_origins=[APP], allow_credentials=True, allow_methods=["*"], allow_headers=["*"]
    )
    app = starlette_app([Middleware(CORSMiddleware, policy=policy)])
    async with client(app) as http:
        response = await http.options("/", headers=PREFLIGHT)
    assert response.status_code == 403
    assert ACAO not in response.headers


async def test_refused_preflight_is_400_with_starlettes_text_and_no_allow_headers() -> None:
    app = starlette_app([Middleware(CORSMiddleware, allow_origins=[APP], allow_methods=["GET"])])
    async with client(app) as http:
        wrong_origin = await http.options("/", headers=preflight_headers(EVIL, "GET"))
        wrong_method = await http.options("/", headers=preflight_headers(APP, "DELETE"))
        wrong_header = await http.options("/", headers=preflight_headers(APP, "GET", "x-nope"))
    for response, part in ((wrong_origin, "origin"), (wrong_method, "method")):
        assert response.status_code == 400
        assert response.text == f"Disallowed CORS {part}"
        assert not [name for name in response.headers if name.startswith("access-control-")]
    assert wrong_header.text == "Disallowed CORS headers"


async def test_preflight_status_options_override_starlettes() -> None:
    app = starlette_app(
        [
            Middleware(
                CORSMiddleware,
                allow_origins=[APP],
                preflight_status=204,
                rejected_preflight_status=403,
            )
        ]
    )
    async with client(app) as http:
        allowed = await http.options(
            "/", headers={"Origin": APP, "Access-Control-Request-Method": "GET"}
        )
        refused = await http.options(
            "/", headers={"Origin": EVIL, "Access-Control-Request-Method": "GET"}
        )
    assert (allowed.status_code, allowed.content) == (204, b"")
    assert (refused.status_code, refused.text) == (403, "Disallowed CORS origin")


def test_star_methods_mean_starlettes_eight() -> None:
    middleware = CORSMiddleware(starlette_app(), allow_origins=[APP], allow_methods=["*"])
    policy = middleware.policy
    assert isinstance(policy, CORSPolicy)
    assert policy.allow_methods == (
        "DELETE",
        "GET",
        "HEAD",
        "OPTIONS",
        "PATCH",
        "POST",
        "PUT",
        "QUERY",
    )


def test_max_age_none_leaves_the_header_out_and_left_out_is_600() -> None:
    assert CORSMiddleware(starlette_app(), allow_origins=[APP]).policy.max_age == 600  # type: ignore[attr-defined]
    off = CORSMiddleware(starlette_app(), allow_origins=[APP], max_age=None).policy
    assert isinstance(off, CORSPolicy)
    assert off.max_age is None
    with pytest.raises(CORSConfigError, match="not both"):
        CORSMiddleware(starlette_app(), max_age=None, policy=CORSPolicy(allow_origins=[APP]))


OPTION_VALUES: dict[str, Any] = {
    "allow_origin_predicate": lambda origin: origin.endswith(".example.org"),
    "allow_null_origin": True,
    "preflight_status": 204,
    "rejected_preflight_status": 403,
    "debug": True,
    "dangerously_allow_insecure_origins": True,
    "dangerously_allow_public_suffix_wildcards": True,
    "max_origin_length": 300,
    "max_request_headers_length": 2000,
    "max_request_headers_count": 20,
}


@pytest.mark.parametrize("option", sorted(CORSPolicyOptions.__annotations__))
def test_every_corecors_option_is_accepted_beside_starlettes(option: str) -> None:
    assert set(OPTION_VALUES) == set(CORSPolicyOptions.__annotations__)
    middleware = CORSMiddleware(
        starlette_app(), allow_origins=[APP], **{option: OPTION_VALUES[option]}
    )
    assert getattr(middleware.policy, option) is OPTION_VALUES[option]


def test_every_corecors_policy_keyword_is_an_option() -> None:
    """One list: CORSPolicy's keywords are Starlette's arguments or CORSPolicyOptions."""
    from corecors.policy import POLICY_KEYS

    assert set(POLICY_KEYS) <= ACCEPTED_KEYWORDS


def test_an_unknown_option_is_a_problem_with_the_closest_name() -> None:
    with pytest.raises(CORSConfigError, match=r"unknown CORSMiddleware option 'alow_origins'.*"):
        CORSMiddleware(starlette_app(), alow_origins=[APP])  # type: ignore[call-arg]
    with pytest.raises(CORSConfigError, match="did you mean 'allow_null_origin'"):
        CORSMiddleware(starlette_app(), allow_null_origins=True)  # type: ignore[call-arg]


REFUSED: list[dict[str, Any]] = [
    {"allow_origins": ["http://shop.example.com"], "allow_credentials": True},
    {"allow_origins": ["https://*.github.io"], "allow_credentials": True},
    {"allow_origins": ["null"]},
    {"allow_origins": [APP], "max_age": 100000},
    {"allow_origin_regex": r"https://.*\.example\.com.*", "allow_credentials": True},
    {"allow_origins": ["*"], "allow_credentials": True},
    {"allow_origins": [APP], "expose_headers": ["*"], "allow_credentials": True},
]


@pytest.mark.parametrize("arguments", REFUSED, ids=lambda a: ",".join(sorted(a)))
def test_every_setting_the_advice_names_can_be_written_in_the_same_call(
    arguments: dict[str, Any],
) -> None:
    with pytest.raises(CORSConfigError) as refused:
        CORSMiddleware(starlette_app(), **arguments)
    advice = " ".join(refused.value.problems)
    named = set(re.findall(r"\b([a-z_]+)=", advice))
    assert named <= ACCEPTED_KEYWORDS, advice


def test_the_insecure_origin_advice_followed_as_written_is_accepted() -> None:
    arguments: dict[str, Any] = {
        "allow_origins": ["http://shop.example.com"],
        "allow_credentials": True,
    }
    with pytest.raises(CORSConfigError) as refused:
        CORSMiddleware(starlette_app(), **arguments)
    (problem,) = refused.value.problems
    setting = re.search(r"set (\w+)=True", problem)
    assert setting is not None, problem
    followed: dict[str, Any] = {**arguments, setting.group(1): True}
    CORSMiddleware(starlette_app(), **followed)


def test_a_toml_files_advice_is_written_in_toml(tmp_path: Path) -> None:
    path = tmp_path / "cors.toml"
    path.write_text(
        'allow_origins = ["http://shop.example.com"]\nallow_credentials = true\nmax_age = -1\n',
        encoding="utf-8",
    )
    with pytest.raises(CORSConfigError) as refused:
        load_policy(path)
    message = str(refused.value)
    assert "set dangerously_allow_insecure_origins = true" in message
    assert "(or leave max_age out)" in message
    assert "=True" not in message
    assert "None" not in message
    with pytest.raises(CORSConfigError, match="dangerously_allow_insecure_origins = true"):
        CORSPolicy.from_toml(path)
    # Followed as written, the file is accepted.
    fixed = path.read_text(encoding="utf-8").replace("max_age = -1\n", "")
    path.write_text(fixed + "dangerously_allow_insecure_origins = true\n", encoding="utf-8")
    load_policy(path)
    assert lint_text(path.read_text(encoding="utf-8")).errors == 0


# -- a refused configuration built lazily by the framework -------------------------------------

REFUSED_MIDDLEWARE = Middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)


async def run_lifespan(app: Any) -> list[dict[str, Any]]:
    incoming = [{"type": "lifespan.startup"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    return sent


@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
async def test_lazily_built_refusal_fails_the_lifespan_startup_with_the_problems(
    framework: str,
) -> None:
    if framework == "starlette":
        app: Any = starlette_app([REFUSED_MIDDLEWARE])
    else:
        app = FastAPI()
        app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)
    (message,) = await run_lifespan(app)
    assert message["type"] == "lifespan.startup.failed"
    assert "invalid CORS policy (1 problem)" in message["message"]
    assert "allow_origins=['*'] with allow_credentials=True" in message["message"]


async def test_lazily_built_refusal_answers_requests_500_and_logs_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = starlette_app([REFUSED_MIDDLEWARE])
    with caplog.at_level(logging.ERROR, logger="corecors"):
        sent: Sent = await call(app, "GET", "/", [(b"origin", APP.encode())])
    assert sent.status == 500
    assert sent.body == b"Internal Server Error"
    assert sent.header(ACAO) is None
    assert "allow_origins=['*'] with allow_credentials=True" in caplog.text


def test_direct_construction_still_raises_at_once() -> None:
    with pytest.raises(CORSConfigError, match=r"invalid CORS policy \(1 problem\)"):
        CORSMiddleware(starlette_app(), allow_origins=["*"], allow_credentials=True)


def test_a_refused_middleware_has_no_policy_until_given_one() -> None:
    app = starlette_app([REFUSED_MIDDLEWARE])
    middleware = app.build_middleware_stack()
    while not isinstance(middleware, CORSMiddleware):
        middleware = middleware.app  # type: ignore[attr-defined]
    with pytest.raises(CORSConfigError):
        _ = middleware.policy
    assert "<refused>" in repr(middleware)
    middleware.policy = CORSPolicy(allow_origins=[APP])
    assert isinstance(middleware.policy, CORSPolicy)
