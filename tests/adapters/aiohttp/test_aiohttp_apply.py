"""``corecors_aiohttp.apply_decision``: the one function that writes a decision into headers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from corecors import OWNED_RESPONSE_HEADERS, Decision, DecisionKind
from corecors_aiohttp import apply, apply_decision

from .aiohttp_apps import ACAC, ACAO, ACEH, APP, api_policy, public_policy

ALLOWED = api_policy().decide_fields("GET", APP)
REJECTED = api_policy().decide_fields("GET", "https://evil.example.net")
NO_ORIGIN = api_policy().decide_fields("GET", None)
DISABLED = Decision(DecisionKind.DISABLED, None, (), ())


def test_allowed_decision_adds_headers_and_vary() -> None:
    headers: CIMultiDict[str] = CIMultiDict({"Content-Type": "text/plain"})
    apply_decision(headers, ALLOWED)
    assert headers.getall(ACAO) == [APP]
    assert headers[ACAC] == "true"
    assert headers[ACEH] == "x-request-id"
    assert headers.getall("Vary") == ["Origin"]
    assert headers["Content-Type"] == "text/plain"


def test_disabled_decision_changes_nothing() -> None:
    headers: CIMultiDict[str] = CIMultiDict({ACAO: "*", "Vary": "Accept"})
    apply_decision(headers, DISABLED)
    assert list(headers.items()) == [(ACAO, "*"), ("Vary", "Accept")]


@pytest.mark.parametrize("decision", [ALLOWED, REJECTED, NO_ORIGIN], ids=lambda d: d.kind.value)
def test_every_owned_header_the_handler_set_is_removed(decision: Decision) -> None:
    headers: CIMultiDict[str] = CIMultiDict()
    for name in sorted(OWNED_RESPONSE_HEADERS):
        headers.add(name.upper(), "handler")
        headers.add(name, "handler again")
    apply_decision(headers, decision)
    assert "handler" not in " ".join(headers.values())
    assert dict(headers) == {**dict(decision.headers), "Vary": "Origin"}


def test_owned_headers_removed_without_the_fast_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(apply, "_FAST_OWNED_CHECK", False)
    headers: CIMultiDict[str] = CIMultiDict({"access-control-allow-origin": "*"})
    apply_decision(headers, REJECTED)
    assert ACAO not in headers


def test_fast_owned_check_is_case_insensitive_here() -> None:
    assert apply._FAST_OWNED_CHECK


def test_static_wildcard_decision_sets_star_without_vary() -> None:
    headers: CIMultiDict[str] = CIMultiDict({ACAO: "https://partner.example"})
    apply_decision(headers, public_policy().decide_fields("GET", None))
    assert headers.getall(ACAO) == ["*"]
    assert "Vary" not in headers


def test_vary_lines_joined_only_when_a_name_is_added() -> None:
    headers: CIMultiDict[str] = CIMultiDict([("Vary", "Accept"), ("Vary", "Cookie")])
    apply_decision(headers, NO_ORIGIN)
    assert headers.getall("Vary") == ["Accept, Cookie, Origin"]
    unchanged: CIMultiDict[str] = CIMultiDict([("Vary", "Accept"), ("Vary", "origin")])
    apply_decision(unchanged, NO_ORIGIN)
    assert unchanged.getall("Vary") == ["Accept", "origin"]


def test_empty_vary_value_replaced() -> None:
    headers: CIMultiDict[str] = CIMultiDict({"Vary": ""})
    apply_decision(headers, NO_ORIGIN)
    assert headers.getall("Vary") == ["Origin"]


_names = st.sampled_from(
    [*sorted(OWNED_RESPONSE_HEADERS), "vary", "content-type", "x-request-id"]
).map(lambda name: "".join(c.upper() if i % 2 else c for i, c in enumerate(name)))
_values = st.text(alphabet="abcxyz*, ", max_size=12)


@given(
    st.lists(st.tuples(_names, _values), max_size=10),
    st.sampled_from([ALLOWED, REJECTED, NO_ORIGIN]),
)
def test_at_most_one_allow_origin_whatever_the_handler_set(
    handler_headers: list[tuple[str, str]], decision: Decision
) -> None:
    headers: CIMultiDict[str] = CIMultiDict(handler_headers)
    apply_decision(headers, decision)
    expected = dict(decision.headers).get(ACAO)
    assert headers.getall(ACAO, []) == ([] if expected is None else [expected])
    vary = [name.strip().lower() for line in headers.getall("Vary", []) for name in line.split(",")]
    assert "origin" in vary or "*" in vary
    assert len(headers.getall("Vary", [])) >= 1
