"""The Python load generator, for machines without wrk: `python -m bench.loadgen SPEC.json`.

Asyncio with httpx, one task per connection, each sending requests back to back (closed
loop, like wrk). Prints one `BENCH-RESULT {...}` line.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.load import RESULT_MARKER
from bench.requests import KINDS, LoadData, Memory, audit_rows_expected


async def generate(spec: dict[str, Any]) -> dict[str, Any]:
    data = LoadData(**{key: _tuples(value) for key, value in spec["data"].items()})
    kinds = [KINDS[name] for name, weight in spec["mix"] for _ in range(weight)]
    connections: int = spec["connections"]
    sequence = itertools.count()
    latencies: list[float] = []
    counts = {"requests": 0, "successes": 0, "errors": 0, "audit_expected": 0}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=spec["base_url"], limits=limits, timeout=10.0) as client:
        started = time.perf_counter()
        deadline = started + spec["seconds"]

        async def connection(number: int) -> None:
            rng = random.Random(number)
            memory: Memory = {}
            while time.perf_counter() < deadline:
                kind = rng.choice(kinds)
                method, path, headers, body = kind.python(data, rng, next(sequence), memory)
                sent = time.perf_counter()
                counts["requests"] += 1
                try:
                    response = await client.request(method, path, headers=headers, content=body)
                except httpx.HTTPError:
                    counts["errors"] += 1
                    continue
                latencies.append(time.perf_counter() - sent)
                if 200 <= response.status_code < 300:
                    counts["successes"] += 1
                    counts["audit_expected"] += audit_rows_expected(
                        response.status_code, response.content
                    )
                else:
                    counts["errors"] += 1

        await asyncio.gather(*(connection(number) for number in range(connections)))
        seconds = time.perf_counter() - started
    latencies.sort()
    return {
        **counts,
        "seconds": round(seconds, 3),
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


def percentile(values: list[float], percent: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(len(values) * percent / 100))]


def _tuples(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    return value


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    result = asyncio.run(generate(spec))
    sys.stdout.write(RESULT_MARKER + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
