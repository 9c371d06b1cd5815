"""What the benchmarks share: the example bodies, signed headers, percentiles."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from plugin.signature import sign

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"


def example_bodies() -> list[bytes]:
    """The example payloads as request bodies."""
    return [
        json.dumps(json.loads(path.read_text("utf-8"))).encode()
        for path in sorted((ROOT / "examples" / "payloads").glob("*.json"))
    ]


def signed_headers(body: bytes) -> dict[str, str]:
    """Headers Zammad would send for ``body``, with a new delivery id."""
    return {
        "Content-Type": "application/json",
        "X-Hub-Signature": sign(body, SECRET.encode()),
        "X-Zammad-Delivery": str(uuid.uuid4()),
    }


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]
