"""``ticket-warden serve`` on its production server (waitress), across real sockets:
bounded headers and bodies with JSON errors, and no thread per idle connection."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import requests

from tests.conftest import example_payload
from tests.serving import Served

MAX_BODY = 65536  # serve_env's WARDEN_MAX_BODY_BYTES


def raw_request(url: str, data: bytes, *, wait: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as it is and read one HTTP answer: status, headers, body."""
    parts = urlparse(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=wait) as conn:
        conn.sendall(data)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        length = int(headers.get("Content-Length", "0"))
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(lines[0].split()[1]), headers, body


def threads_of(served: Served) -> int:
    status = Path(f"/proc/{served.process.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads")))


def test_header_floods_get_a_json_431(serve) -> None:
    served = serve()
    path = urlparse(served.url).path
    flood = "".join(f"X-Flood-{n}: {'a' * 1000}\r\n" for n in range(40))
    request = f"POST {path} HTTP/1.1\r\nHost: x\r\n{flood}Content-Length: 2\r\n\r\n{{}}"
    status, headers, body = raw_request(served.url, request.encode())
    assert status == 431 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"] == "request_header_fields_too_large"


def test_bodies_over_the_limit_are_a_json_413_chunked_or_not(serve) -> None:
    served = serve()
    path = urlparse(served.url).path
    chunk = b"y" * 16384
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(6)) + b"0\r\n\r\n"
    request = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode() + chunked
    )
    status, headers, body = raw_request(served.url, request)
    assert status == 413 and headers["Content-Type"] == "application/json"
    assert set(json.loads(body)) == {"error", "message"}
    # A declared length over the limit is refused before the body is read at all.
    started = time.monotonic()
    declared = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {50 * MAX_BODY}\r\n\r\n{{"
    status, _headers, _body = raw_request(served.url, declared.encode())
    assert status == 413 and time.monotonic() - started < 2


def test_half_open_connections_hold_no_thread(serve) -> None:
    served = serve()
    parts = urlparse(served.url)
    base = served.url.rsplit("/webhooks/", 1)[0]
    idle = threads_of(served)
    connections = []
    try:
        for _ in range(150):
            conn = socket.create_connection((parts.hostname, parts.port), timeout=5)
            conn.sendall(b"POST /webhooks/zammad HTTP/1.1\r\nHost: x\r\nContent-Le")
            connections.append(conn)
        started = time.monotonic()
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        assert time.monotonic() - started < 1
        assert threads_of(served) <= idle + 2  # waitress's fixed pool, not one per connection
    finally:
        for conn in connections:
            conn.close()


def test_health_answers_within_100_ms_while_worst_case_messages_are_decided(
    zammad_server, serve
) -> None:
    """A customer's adversarial mail must not stall the receiver (issue: one long word
    took 40 s to decide and held the interpreter lock)."""
    zammad, _ = zammad_server
    served = serve(WARDEN_MAX_BODY_BYTES=str(1024 * 1024))  # the default: room for 100 KB
    base = served.url.rsplit("/webhooks/", 1)[0]
    words = "please help the backup of our file server stopped working "
    bodies = [
        words + "x" * 100_000,
        words + ("a-" * 50_000),
        words + ("a." * 50_000),
        words + ("@" * 100_000),
        words + ("1." * 50_000),
    ]
    for n, text in enumerate(bodies):
        payload = example_payload("per-incident-email")
        payload["ticket"] |= {"id": 700 + n, "number": str(70700 + n)}
        payload["article"] |= {"id": 7700 + n, "ticket_id": 700 + n, "body": text}
        zammad.add_ticket_from_payload(payload)
        assert served.post(json.dumps(payload).encode()).status_code == 202
    slowest = 0.0
    while served.pending():
        started = time.monotonic()
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.02)
    assert slowest < 0.1, f"/healthz took {slowest * 1000:.0f} ms while deciding"
    assert len(served.decisions()) == len(bodies)
