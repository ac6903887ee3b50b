"""``python -m benchmarks``: every level, one table each, and which targets hold."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

from .harness import Level, Settings, versions

LEVELS = ("core", "asgi", "uvicorn", "aiohttp", "e2e")


def runner(name: str) -> Callable[[Settings], Level | list[Level]]:
    # Imported on demand: a level's peers are only needed when it runs.
    if name == "core":
        from . import core

        return core.run
    if name == "asgi":
        from . import asgi_inprocess

        return asgi_inprocess.run
    if name == "uvicorn":
        from . import uvicorn_inprocess

        return uvicorn_inprocess.run
    if name == "aiohttp":
        from . import aiohttp_inprocess

        return aiohttp_inprocess.run
    if name == "e2e":
        from . import end_to_end

        return end_to_end.run
    raise ValueError(name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "corecors next to its peers: the core, in-process ASGI, uvicorn and aiohttp "
            "(fake transport), and end to end with wrk. Every figure is a ratio measured "
            "side by side in this run; nothing is installed."
        ),
    )
    parser.add_argument("--quick", action="store_true", help="about a minute in all")
    parser.add_argument(
        "--level",
        action="append",
        choices=LEVELS,
        help="run only this level (repeatable; default: all)",
    )
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--json", metavar="PATH", help="also write the tables to PATH as JSON")
    args = parser.parse_args(argv)
    settings = Settings(quick=args.quick)
    chosen = args.level or list(LEVELS)

    found = versions()
    header = ", ".join(f"{name} {version}" for name, version in found.items())
    mode = "quick" if args.quick else "full"
    print(f"corecors benchmarks ({mode} run): {header}\n", flush=True)

    levels: list[Level] = []
    started = time.monotonic()
    for name in chosen:
        level_start = time.monotonic()
        result = runner(name)(settings)
        for level in result if isinstance(result, list) else [result]:
            levels.append(level)
            print(level.render(markdown=args.markdown), flush=True)
            print(flush=True)
        print(f"({name}: {time.monotonic() - level_start:.0f} s)\n", flush=True)

    targets = [target for level in levels for target in level.targets]
    held = sum(1 for target in targets if target.holds)
    missed = [target for target in targets if target.holds is False]
    unmeasured = [target for target in targets if target.holds is None]
    print(
        f"Targets: {held} hold, {len(missed)} not met, {len(unmeasured)} not measured "
        f"({time.monotonic() - started:.0f} s in all)"
    )
    for target in missed:
        print(f"  NOT MET: {target.text} ({target.detail})")
    for target in unmeasured:
        print(f"  not measured: {target.text}")

    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump(
                {
                    "mode": mode,
                    "versions": found,
                    "levels": [
                        {
                            "key": level.key,
                            "title": level.title,
                            "what": level.what,
                            "columns": level.columns,
                            "rows": level.rows,
                            "notes": level.notes,
                            "targets": [
                                {"text": t.text, "holds": t.holds, "detail": t.detail}
                                for t in level.targets
                            ],
                        }
                        for level in levels
                    ],
                },
                stream,
                indent=2,
                ensure_ascii=False,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
