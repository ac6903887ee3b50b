"""Typical user code, type-checked by mypy (make typecheck) and pyright (tests/test_typing.py).

What a user of each package writes, with ``assert_type`` where a checker could read a type
differently: both checkers must see a decision's fields as their own types.
"""

from __future__ import annotations

from typing import assert_type

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware

from corecors import (
    CORSPolicy,
    Decision,
    DecisionKind,
    PathPolicies,
    RequestInfo,
    load_policy,
    merge_vary,
)
from corecors_asgi import CORSMiddleware

policy = CORSPolicy(
    allow_origins=["https://app.example.com"],
    allow_headers=["content-type", "authorization"],
    allow_credentials=True,
)
decision = policy.decide(RequestInfo("OPTIONS", "https://app.example.com", "PUT"))
assert_type(decision, Decision)
assert_type(decision.kind, DecisionKind)
assert_type(decision.status, int | None)
assert_type(decision.headers, tuple[tuple[str, str], ...])
assert_type(decision.vary, tuple[str, ...])
assert_type(decision.reason, str | None)
vary: str | None = merge_vary("Accept-Encoding", decision.vary)
status: int = decision.status if decision.status is not None else 200
headers: dict[str, str] = dict(decision.headers)

api = FastAPI()
api.add_middleware(
    CORSMiddleware,
    allow_origins=["https://app.example.com"],
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
    dangerously_allow_insecure_origins=False,
)
api.add_middleware(CORSMiddleware, policy=policy)

site = Starlette(middleware=[Middleware(CORSMiddleware, allow_origins=["*"], debug=True)])
wrapped = CORSMiddleware(site, policy=PathPolicies({"/api": policy}))
wrapped.policy = CORSPolicy(allow_origins=["*"])


def from_file(path: str) -> CORSPolicy | PathPolicies:
    return load_policy(path)
