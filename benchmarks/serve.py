"""One benchmark application in a real server: ``python -m benchmarks.serve SERVER STACK PORT``.

``SERVER`` is ``uvicorn`` (httptools, the asyncio loop, no access log, no lifespan) or
``aiohttp`` (``web.run_app``, no access log); ``STACK`` names one of the stacks in
:mod:`benchmarks.stacks`. It listens on 127.0.0.1 only, until it is terminated.
"""

from __future__ import annotations

import argparse
import sys

from . import stacks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.serve")
    parser.add_argument("server", choices=("uvicorn", "aiohttp"))
    parser.add_argument("stack")
    parser.add_argument("port", type=int)
    args = parser.parse_args(argv)
    if args.server == "uvicorn":
        import uvicorn

        apps, _ = stacks.asgi_stacks()
        uvicorn.run(
            apps[args.stack],
            host="127.0.0.1",
            port=args.port,
            http="httptools",
            loop="asyncio",
            lifespan="off",
            access_log=False,
            log_level="warning",
        )
    else:
        from aiohttp import web

        factories, _ = stacks.aiohttp_stacks()
        web.run_app(
            factories[args.stack](),
            host="127.0.0.1",
            port=args.port,
            access_log=None,
            print=None,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
