"""No secret reaches a log: ``serve`` (waitress) and gunicorn with the shipped config,
text and JSON, while django-helpdesk's webhook carries the secret as ``?token=``."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.serving import ADMIN_TOKEN, SECRET, Served, keep_log, wait_for

DJANGO_ENV = {
    "WARDEN_HELPDESK": "django-helpdesk",
    "WARDEN_DJANGO_HELPDESK_URL": "http://127.0.0.1:9",
    "WARDEN_DJANGO_HELPDESK_USER": "bot",
    "WARDEN_DJANGO_HELPDESK_PASSWORD": "bot-password",
    "WARDEN_DRY_RUN": "true",
}


def knock(base: str) -> None:
    """Requests that put the secret where a log might copy it: the query string (right,
    wrong, on other routes) and headers."""
    hook = f"{base}/webhooks/django-helpdesk"
    requests.post(f"{hook}?token={SECRET}", data=b"{}", timeout=10)
    requests.post(f"{hook}?token={SECRET}x", data=b"{}", timeout=10)
    requests.post(hook, data=b"{}", headers={"X-Warden-Token": SECRET}, timeout=10)
    requests.get(f"{base}/decisions?token={SECRET}", timeout=10)
    requests.get(f"{base}/nowhere?token={SECRET}&a=1", timeout=10)
    requests.get(f"{base}/decisions", headers={"Authorization": f"Bearer {SECRET}"}, timeout=10)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_serve_logs_no_secret(serve_env, tmp_path: Path, log_format: str) -> None:
    served = Served(serve_env | DJANGO_ENV | {"WARDEN_LOG_FORMAT": log_format}, tmp_path)
    try:
        assert served.url.endswith("/webhooks/django-helpdesk")
        assert "live, writing to None" not in served.log
        knock(served.url.rsplit("/webhooks/", 1)[0])
        time.sleep(0.5)
    finally:
        served.stop()
    assert SECRET not in served.log and ADMIN_TOKEN not in served.log
    assert "\x1b[" not in served.log


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_gunicorn_access_log_has_no_secret(serve_env, tmp_path: Path) -> None:
    """The README's gunicorn command, with an access log asking for the request line,
    the query string and the credential headers."""
    port = free_port()
    access_format = '%(h)s "%(r)s" %(s)s q=%(q)s a=%({authorization}i)s t=%({x-warden-token}i)s'
    env = serve_env | DJANGO_ENV | {"WARDEN_STORE": str(tmp_path / "g.sqlite3")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:webhooks.gunicorn_conf",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
            "--access-logformat",
            access_format,
            "webhooks:create_app_from_environment()",
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail("gunicorn exited:\n" + (process.stdout.read() if process.stdout else ""))
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(up, "gunicorn to answer")
        knock(base)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
        keep_log(f"gunicorn-{process.pid}", output)
    assert "/webhooks/django-helpdesk?token=[redacted]" in output  # the line is there...
    assert SECRET not in output  # ...without the secret
