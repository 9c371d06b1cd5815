"""End to end against a real django-helpdesk on loopback (no fake anywhere).

A Django project with django-helpdesk is made in a temporary folder and
migrated; ticket-warden serve starts first (django-helpdesk answers 500 to a
new ticket when its webhook target refuses connections), then django-helpdesk
itself. A Gold client's vague, urgent ticket created through its API must end
with the decision's priority, due date, note and one reply; a follow-up mailed
by the client with enough information (imported from a local mail folder)
must clear needs-info; the bot's own follow-ups must not loop.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from plugin.helpdesk import trailer_tags
from tests.conftest import EXAMPLES, ROOT
from tests.serving import Served, wait_for

pytest.importorskip("helpdesk", reason="django-helpdesk is part of the test extras")

ADMIN = ("admin", "admin-pw")
BOT = ("warden", "warden-pw")
TOKEN = "dh-shared-token"
SETTINGS = """
INSTALLED_APPS += [
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
SITE_ID = 1
HELPDESK_TEAMS_MODE_ENABLED = False
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.BasicAuthentication"],
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
"""
SETUP = """
from django.contrib.auth.models import User
from helpdesk.models import Queue
User.objects.create_superuser("{admin}", "admin@xstore.example", "{admin_pw}")
bot = User.objects.create_user("{bot}", "warden@xstore.example", "{bot_pw}", is_staff=True)
Queue.objects.create(
    title="Support", slug="support", email_address="support@xstore.example",
    allow_email_submission=True, email_box_type="local", email_box_local_dir="{maildir}",
    email_box_interval=0,
)
print("BOT_ID", bot.id)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def manage(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Iterator[tuple[Path, Path, int]]:
    """A migrated django-helpdesk project: its folder, its mail folder and the bot's user id."""
    folder = tmp_path_factory.mktemp("django-helpdesk")
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "dhsite", str(folder)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    settings = folder / "dhsite" / "settings.py"
    settings.write_text(settings.read_text() + SETTINGS)
    urls = folder / "dhsite" / "urls.py"
    urls.write_text(
        "from django.contrib import admin\nfrom django.urls import include, path\n\n"
        "urlpatterns = [\n    path('admin/', admin.site.urls),\n"
        "    path('', include('helpdesk.urls', namespace='helpdesk')),\n]\n"
    )
    maildir = folder / "mail"
    maildir.mkdir()
    manage(folder, "migrate", "-v0")
    script = SETUP.format(
        admin=ADMIN[0], admin_pw=ADMIN[1], bot=BOT[0], bot_pw=BOT[1], maildir=maildir
    )
    output = manage(folder, "shell", "-c", textwrap.dedent(script))
    bot_id = int(re.search(r"BOT_ID (\d+)", output)[1])  # type: ignore[index]
    yield folder, maildir, bot_id


@pytest.fixture
def running(project, tmp_path: Path) -> Iterator[tuple[str, Served, Path, dict[str, str]]]:
    """ticket-warden serve, then django-helpdesk's runserver pointing its webhooks at it."""
    folder, maildir, bot_id = project
    port = free_port()
    helpdesk_url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("WARDEN_")}
    warden_env = env | {
        "PYTHONPATH": str(ROOT),
        "WARDEN_HELPDESK": "django-helpdesk",
        "WARDEN_DJANGO_HELPDESK_URL": helpdesk_url,
        "WARDEN_DJANGO_HELPDESK_USER": BOT[0],
        "WARDEN_DJANGO_HELPDESK_PASSWORD": BOT[1],
        "WARDEN_DJANGO_HELPDESK_BOT_USER_ID": str(bot_id),
        "WARDEN_WEBHOOK_SECRET": TOKEN,
        "WARDEN_STORE": str(tmp_path / "warden.sqlite3"),
        "WARDEN_POLICY": str(EXAMPLES / "policy.yaml"),
        "WARDEN_RETRY_DELAY_SECONDS": "0.5",
    }
    served = Served(warden_env, tmp_path)
    hook = served.url.replace("/webhooks/zammad", "/webhooks/django-helpdesk") + f"?token={TOKEN}"
    django_env = env | {
        "HELPDESK_NEW_TICKET_WEBHOOK_URLS": hook,
        "HELPDESK_FOLLOWUP_WEBHOOK_URLS": hook,
    }
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=folder,
        env=django_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def answers() -> bool:
        try:
            return requests.get(f"{helpdesk_url}/api/", auth=ADMIN, timeout=2).status_code < 500
        except requests.ConnectionError:
            return False

    try:
        wait_for(answers, "django-helpdesk to start")
        yield helpdesk_url, served, maildir, django_env
    finally:
        server.terminate()
        server.wait(timeout=30)
        served.stop()


def import_mail(folder: Path, env: dict[str, str], maildir: Path, what: str) -> None:
    """Run django-helpdesk's mail import until the local mail folder is empty.

    get_email swallows a failed run (it logs and exits 0) and leaves the message
    in the folder, so it is run again until the folder is empty, up to a deadline.
    """
    outputs = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        outputs.append(manage(folder, "get_email", "--debug_to_stdout", env=env))
        if not any(maildir.iterdir()):
            return
        time.sleep(0.5)
    pytest.fail(f"{what}: mail left in {sorted(maildir.iterdir())}; get_email said {outputs[-1]}")


def ticket(helpdesk_url: str, ticket_id: int) -> dict[str, Any]:
    response = requests.get(f"{helpdesk_url}/api/tickets/{ticket_id}/", auth=ADMIN, timeout=10)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def by_bot(data: dict[str, Any], bot_id: int) -> list[dict[str, Any]]:
    return [followup for followup in data["followup_set"] if followup["user"] == bot_id]


def test_a_gold_clients_ticket_end_to_end(project, running) -> None:
    folder, _maildir, bot_id = project
    helpdesk_url, served, maildir, django_env = running
    created = requests.post(
        f"{helpdesk_url}/api/tickets/",
        auth=ADMIN,
        timeout=30,
        json={
            "queue": 1,
            "title": "URGENT help",
            "description": "it doesnt work",
            "submitter_email": "thandi@acme.example",
            "priority": 3,
        },
    )
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]

    def written() -> dict[str, Any] | None:
        data = ticket(helpdesk_url, ticket_id)
        done = len(by_bot(data, bot_id)) == 2 and data["due_date"]
        return data if done else None

    data = wait_for(written, "the note, the reply and the ticket update")
    reply, note = by_bot(data, bot_id)
    assert data["priority"] == 2  # django-helpdesk's "High": a Gold priority request
    assert data["due_date"] is not None
    assert reply["public"] is True and "subject line does not say" in reply["comment"]
    assert note["public"] is False
    assert trailer_tags(note["comment"]) == {
        "needs-info",
        "priority-request",
        "sla-gold",
        "vague-subject",
    } | ({"outside-office-hours"} if "outside-office-hours" in note["comment"] else set())

    # The client mails the details; django-helpdesk imports the mail as a follow-up.
    (maildir / "reply.eml").write_text(
        "From: Thandi Nkosi <thandi@acme.example>\n"
        "To: support@xstore.example\n"
        f"Subject: Re: [support-{ticket_id}] URGENT help\n"
        "Message-ID: <reply-1@acme.example>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "Our mail server mx1.acme.example rejects all inbound mail with "
        "'451 4.3.0 temporary failure' since 14:40; we restarted postfix, no change.\n"
    )
    import_mail(folder, django_env, maildir, "the client's follow-up")

    def cleared() -> list[dict[str, Any]] | None:
        notes = [f for f in by_bot(ticket(helpdesk_url, ticket_id), bot_id) if not f["public"]]
        return notes if len(notes) == 2 else None

    notes = wait_for(cleared, "the follow-up to be decided")
    assert "needs-info" not in (trailer_tags(notes[-1]["comment"]) or set())
    # The SLA clock waited for the client (django-helpdesk has no waiting status: the
    # status stays), and the answer moved the due date by the time waited.
    assert "SLA clock: waiting for the client's answer" in notes[0]["comment"]
    assert "SLA clock: the client answered after" in notes[-1]["comment"]
    assert ticket(helpdesk_url, ticket_id)["due_date"] >= data["due_date"]
    time.sleep(2)  # the bot's own follow-ups come back as webhooks: none may be answered
    final = by_bot(ticket(helpdesk_url, ticket_id), bot_id)
    assert sum(1 for followup in final if followup["public"]) == 1
    assert len(final) == 3
    assert "Traceback" not in served.log


def test_a_ticket_mailed_in_is_decided_too(project, running) -> None:
    folder, _maildir, bot_id = project
    helpdesk_url, _served, maildir, django_env = running
    (maildir / "new.eml").write_text(
        "From: Sam Jacobs <sam.jacobs@gmail.example>\n"
        "To: support@xstore.example\n"
        "Subject: Samba share on NAS asks for password again after update\n"
        "Message-ID: <new-1@gmail.example>\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "After updating TrueNAS to 24.04.2 yesterday, Windows 11 clients get a password "
        "prompt for \\\\nas01\\projects and the old credentials are rejected "
        "(error 0x80070005).\n"
    )
    import_mail(folder, django_env, maildir, "the mailed ticket")
    listed = requests.get(f"{helpdesk_url}/api/tickets/", auth=ADMIN, timeout=10).json()
    # The ticket the mail made: its submitter and its words (a title may carry a
    # "[Ticket#...]" prefix), among every ticket so far.
    found = [
        t
        for t in listed["results"]
        if t.get("submitter_email") == "sam.jacobs@gmail.example" and "Samba share" in t["title"]
    ]
    assert len(found) == 1, [(t["title"], t.get("submitter_email")) for t in listed["results"]]
    (mailed,) = found

    def written() -> dict[str, Any] | None:
        data = ticket(helpdesk_url, mailed["id"])
        return data if by_bot(data, bot_id) and data["due_date"] else None

    # The ticket update (due date) is the last write: reply and note are in by then.
    data = wait_for(written, "the mailed ticket to be written back")
    (note,) = [f for f in by_bot(data, bot_id) if not f["public"]]
    tags = trailer_tags(note["comment"]) or set()
    assert "per-incident" in tags and "needs-info" not in tags and "vague-subject" not in tags
    # A clear request from a walk-in client is only told something outside office hours.
    replies = [f for f in by_bot(data, bot_id) if f["public"]]
    assert len(replies) == (1 if "outside-office-hours" in tags else 0)
    assert data["priority"] == 3  # "2 normal"
