"""The largest cost of ``allow_origin_regex`` per request, and what a policy costs to build.

Run with ``.venv/bin/python benchmarks/regex_worst_case.py`` (about half a minute).

corecors matches origin regexes with RE2 (linear time whatever the regex) and only on
origins of at most ``REGEX_INPUT_LIMIT`` (512) characters. RE2's lazy DFA is fastest; a
regex whose DFA has very many states can make RE2 fall back to its NFA engine, still
linear but slower per character. The regexes below are built for that (and for Python's
``re`` to backtrack), and each is timed on inputs built to defeat it, at the input limit
and past it, to show why the limit is where it is. Then the same regexes through the whole
decision (``CORSPolicy.decide_fields``) on the worst origin the grammar lets through, and
Python's ``re`` on the four-star regex of issue 12 for comparison.

Figures are the thread's CPU time, best of several rounds; they vary with the machine and
the load, and nothing in the test suite asserts on them.
"""

from __future__ import annotations

import functools
import random
import re
import time
import warnings
from collections.abc import Callable

import re2

from corecors import CORSConfigWarning, CORSPolicy
from corecors.origins import REGEX_INPUT_LIMIT

REGEXES = {
    "four stars (issue 12)": r"https://[a-z0-9.-]*[a-z0-9.-]*[a-z0-9.-]*[a-z0-9.-]*\.example\.com",
    "nested plus": r"https://(a+)+\.example\.com",
    "DFA blow-up, a then 900 any": r"[a-z.]*a[a-z.]{900}",
    "DFA blow-up, 30 x (a then 30)": r"([a-z.]*a[a-z.]{30}){30}x",
    "DFA blow-up, 90 x (a then 10)": r"([a-z.+-]*a[a-z.+-]{10}){90}",
    "999 ambiguous iterations": r"(?:[a-z]|[a-z]a|[a-z]b){1,999}",
    "1000 alternatives": "https://(" + "|".join(f"app{i}" for i in range(1000)) + r")\.ex\.com",
}


def inputs(length: int) -> list[str]:
    rng = random.Random(length)
    return [
        "a" * length,
        "ab" * (length // 2),
        "".join(rng.choice("ab") for _ in range(length)),
        "".join(rng.choice("ab.") for _ in range(length)),
        "https://" + "a" * (length - 8),
        "https://" + ("a." * length)[: length - 20] + "example.co",
    ]


def best_of(call: Callable[[], object], repeat: int, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            call()
        best = min(best, (time.process_time() - started) / repeat)
    return best


def main() -> None:
    options = re2.Options()
    options.log_errors = False
    options.never_capture = True  # as the policy compiles it
    print(f"RE2 fullmatch, worst input per regex (µs); corecors runs it up to {REGEX_INPUT_LIMIT}")
    lengths = (REGEX_INPUT_LIMIT, 1024, 2048)
    print(f"{'regex':32}" + "".join(f"{n:>12}" for n in lengths))
    overall = 0.0
    for name, source in REGEXES.items():
        compiled = re2.compile(source, options)
        row = []
        for length in lengths:
            repeat = 20 if length > 600 else 200
            worst = max(
                best_of(functools.partial(compiled.fullmatch, text), repeat)
                for text in inputs(length)
            )
            row.append(worst)
            if length == REGEX_INPUT_LIMIT:
                overall = max(overall, worst)
        print(f"{name:32}" + "".join(f"{value * 1e6:12.1f}" for value in row))
    print(f"largest RE2 cost per request at the input limit: {overall * 1e6:.1f} µs")

    print("\nthe whole decision (decide_fields), worst origin the grammar lets through (µs)")
    worst_origins = [
        "https://" + "a" * 63 + ("." + "a" * 63) * 2 + "." + "a" * 61,
        "https://" + ("a." * 126) + "a",
        "a" * (REGEX_INPUT_LIMIT - 10) + "://a.co",
        "ab" * ((REGEX_INPUT_LIMIT - 10) // 2) + "://a.co",
    ]
    for name, source in REGEXES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CORSConfigWarning)
            started = time.process_time()
            policy = CORSPolicy(allow_origin_regex=source)
            built = time.process_time() - started
        worst = max(
            best_of(functools.partial(policy.decide_fields, "GET", origin), 200)
            for origin in worst_origins
        )
        print(f"{name:32}{worst * 1e6:12.1f}   (policy built in {built * 1e3:.1f} ms)")

    origin = "https://" + "a" * 253
    four_stars = re.compile(REGEXES["four stars (issue 12)"])
    slow = best_of(lambda: four_stars.fullmatch(origin), 1, rounds=1)
    print(f"\nPython's re, four stars, {len(origin)}-character origin: {slow * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
