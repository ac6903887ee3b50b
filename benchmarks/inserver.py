"""Shared by the two in-server levels: requests through a real server's protocol, no sockets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from . import stacks
from .harness import Level, Target, fmt_ratio, fmt_us, interleave_async, median, thread_time
from .transport import Connection, status_of

#: Throughput targets against the bare application, and (issue 13) against the fixed-header
#: middleware: simple requests, preflights.
SIMPLE_SHARE = 0.90
PREFLIGHT_SHARE = 0.95
FIXED_SIMPLE_SHARE = 0.95
FIXED_PREFLIGHT_SHARE = 0.90


def fixed_share(kind: str) -> float:
    """The share of the fixed-header middleware's throughput corecors must reach."""
    return FIXED_PREFLIGHT_SHARE if kind in stacks.PREFLIGHTS else FIXED_SIMPLE_SHARE


def sampler(connection: Connection, raw: bytes, count: int) -> Callable[[], Awaitable[float]]:
    async def sample() -> float:
        send = connection.send
        start = thread_time()
        for _ in range(count):
            await send(raw)
        return (thread_time() - start) / count

    return sample


async def measure(
    level: Level,
    connections: Mapping[str, Connection],
    *,
    rounds: int,
    count: int,
    preflight_baseline: str = "bare",
    kinds: tuple[str, ...] = stacks.KINDS,
    collect_garbage: bool = False,
) -> dict[str, dict[str, float]]:
    """Fill ``level``'s rows (µs added, share of the baseline's throughput) for every kind.

    Returns, per kind, each stack's median µs added over the baseline (for level targets).
    """
    added_by_kind: dict[str, dict[str, float]] = {}
    for kind in kinds:
        raw = stacks.raw_request(kind)
        statuses = {name: status_of(await conn.send(raw)) for name, conn in connections.items()}
        samplers = {name: sampler(conn, raw, count) for name, conn in connections.items()}
        for sample in samplers.values():
            await sample()  # warm up
        samples = await interleave_async(samplers, rounds, collect_garbage=collect_garbage)
        baseline = preflight_baseline if kind in stacks.PREFLIGHTS else "bare"
        added = {
            name: median(v - b for v, b in zip(values, samples[baseline], strict=True))
            for name, values in samples.items()
        }
        share = {
            name: median(b / v for v, b in zip(values, samples[baseline], strict=True) if v > 0)
            for name, values in samples.items()
        }
        versus_fixed = median(
            f / c for c, f in zip(samples["corecors"], samples["fixed"], strict=True) if c > 0
        )
        if "floor" in samples:
            versus_floor = median(
                f / c for c, f in zip(samples["corecors"], samples["floor"], strict=True) if c > 0
            )
            floor_versus_fixed = median(
                x / f for f, x in zip(samples["floor"], samples["fixed"], strict=True) if f > 0
            )
            level.notes.append(
                f"{kind}: corecors' throughput is {versus_floor:.3f} of the floor's and "
                f"{versus_fixed:.3f} of the fixed-header middleware's (the floor's: "
                f"{floor_versus_fixed:.3f} of fixed); corecors adds "
                f"{added['corecors'] * 1e6:.2f} µs, the floor {added['floor'] * 1e6:.2f} µs"
            )
        added_by_kind[kind] = added
        first = True
        for name in connections:
            if name in ("bare", "options-204") and name != baseline:
                continue
            level.rows.append(
                [
                    kind if first else "",
                    name,
                    statuses[name],
                    fmt_us(median(samples[name])),
                    "" if name == baseline else fmt_us(added[name]),
                    fmt_ratio(share[name]),
                ]
            )
            first = False
        target_share = PREFLIGHT_SHARE if kind in stacks.PREFLIGHTS else SIMPLE_SHARE
        level.targets.append(
            Target(
                f"corecors throughput ≥ {target_share:.2f} of {baseline}: {kind}",
                share["corecors"] >= target_share,
                f"{share['corecors']:.3f}",
            )
        )
        level.targets.append(
            Target(
                f"corecors throughput ≥ {fixed_share(kind):.2f} of the fixed-header "
                f"middleware's: {kind}",
                versus_fixed >= fixed_share(kind),
                f"{versus_fixed:.3f} of fixed",
            )
        )
    return added_by_kind


SERVER_COLUMNS = ["request", "stack", "status", "µs/request", "added µs", "throughput ÷ base"]
