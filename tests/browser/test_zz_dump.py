import json
from .conftest import Suite
from .scenarios import SCENARIOS

def test_dump(suite: Suite) -> None:
    out = {}
    for adapter in ("aiohttp", "starlette-wrapped"):
        run = suite.run(adapter)
        for s in SCENARIOS:
            o = run.outcomes[s.name]
            out.setdefault(s.name, {})[adapter] = {"ok": o.ok, "status": o.status, "err": o.error, "server": run.recorder.methods(s.name), "console": o.console, "body": (o.body or "")[:60], "headers": o.headers}
    with open(f"/tmp/i15/dump-{suite.engine.name}.json", "w") as f:
        json.dump({"version": suite._browser.version, "all": suite._browser.console.lines(), "out": out}, f, indent=1)
