"""End to end through the fake Zammad's trigger engine.

A customer's mail arrives in the fake Zammad, the triggers that ``ticket-warden
install`` created fire, the fake posts the webhook (Zammad's payload, headers and
signature) to a real ``ticket-warden serve``, the bot writes back over the API,
and its own writes go through the triggers again, as Zammad would run them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import settled
from tests.fake_zammad import BOT, FakeZammad
from tests.serving import wait_for

CUSTOMER = "thandi@acme.example"  # Acme Storage: Gold in examples/policy.yaml
SAST = ZoneInfo("Africa/Johannesburg")
CUSTOMER_TRIGGER = "ticket-warden: customer articles"
WEBHOOKS = "/api/v1/webhooks"


def triggers_fired(zammad: FakeZammad) -> list[str]:
    """The trigger of each delivery, once per delivery (retries not counted)."""
    seen: dict[str, str] = {}
    for attempt in zammad.webhooks_sent.attempts:
        seen.setdefault(attempt.delivery, attempt.trigger)
    return list(seen.values())


def add_admin_trigger(zammad: FakeZammad, condition: dict[str, Any]) -> None:
    """An admin's own broad trigger calling ticket-warden's webhook (a likely mistake)."""
    webhook = next(w for w in zammad.admin[WEBHOOKS] if w["name"] == "ticket-warden")
    zammad.admin["/api/v1/triggers"].append(
        {
            "id": 900,
            "name": "admin: every email and note",
            "condition": condition,
            "perform": {"notification.webhook": {"webhook_id": webhook["id"]}},
            "activator": "action",
            "execution_condition_mode": "selective",
            "active": True,
        }
    )


def test_a_guidance_reply_is_no_first_response(installed) -> None:
    zammad, served = installed
    ticket_id, _ = zammad.receive_mail(
        sender=CUSTOMER, name="Thandi Nkosi", subject="Help", body="Please help, it is broken."
    )
    settled(zammad, served, 1)

    reply, note = zammad.bot_articles(ticket_id)
    assert (reply["sender"], reply["type"], reply["internal"]) == ("System", "email", False)
    assert reply["to"] == CUSTOMER and any(m["article_id"] == reply["id"] for m in zammad.outbox)
    assert note["internal"] is True and "replied=" in note["body"]
    ticket = zammad.ticket(ticket_id)
    assert {"sla-gold", "vague-subject", "needs-info"} <= set(zammad.tags[ticket_id])
    assert ticket["sla_due_at"] is not None
    # Zammad's SLA timers keep running: the bot's reply is no agent's first response,
    # and its writes fired no trigger.
    assert ticket["first_response_at"] is None
    assert ticket["article_count"] == 2  # the customer's mail and the note; System not counted
    assert triggers_fired(zammad) == [CUSTOMER_TRIGGER]

    writes = len(zammad.writes)
    agent_article = zammad.agent_reply(
        ticket_id, body="<p>We are looking at the backup server now.</p>", to=CUSTOMER
    )
    decided = settled(zammad, served, 2)
    answered = zammad.ticket(ticket_id)
    created = next(a for a in zammad.article_views(ticket_id) if a["id"] == agent_article)
    assert answered["first_response_at"] == created["created_at"]
    assert triggers_fired(zammad)[-1] == "ticket-warden: agent emails (meeting confirmations)"
    assert decided[0]["decision"]["skipped"].startswith("written by the agent")
    assert len(zammad.writes) == writes
    assert "Traceback" not in served.log


def test_the_bots_own_articles_come_back_and_write_nothing(installed) -> None:
    zammad, served = installed
    add_admin_trigger(zammad, {"article.type_id": {"operator": "is", "value": ["1", "10"]}})
    ticket_id, _ = zammad.receive_mail(
        sender=CUSTOMER, name="Thandi Nkosi", subject="Help", body="Please help, it is broken."
    )
    # The customer's mail fires both triggers; the bot's reply (email) and its
    # ticket update carrying the note (note) each fire the admin's trigger again.
    decided = settled(zammad, served, 4)
    assert sorted(triggers_fired(zammad)) == [
        "admin: every email and note",
        "admin: every email and note",
        "admin: every email and note",
        CUSTOMER_TRIGGER,
    ]
    own = [d for d in decided if (d["decision"]["skipped"] or "").startswith("written by ticket")]
    assert len(own) == 2
    assert len(zammad.bot_articles(ticket_id)) == 2  # one reply, one note: nothing doubled
    assert all(d["writes"] == [] for d in decided if d["decision"]["skipped"])


def test_the_bot_never_confirms_its_own_meeting_request(installed) -> None:
    zammad, served = installed
    add_admin_trigger(zammad, {"article.type_id": {"operator": "is", "value": 1}})
    ticket_id, _ = zammad.receive_mail(
        sender=CUSTOMER,
        name="Thandi Nkosi",
        subject="Call about the fileserver02 backup failures",
        body="Could we schedule a call on Thursday to go through the backup job that fails "
        "on fileserver02 with error 0x80070005 since the update to Veeam 12.1?",
    )
    settled(zammad, served, 3)
    (reply, _note) = zammad.bot_articles(ticket_id)
    assert "meeting" in reply["body"].lower()
    assert {"meeting-request", "meeting-unconfirmed"} <= set(zammad.tags[ticket_id])
    assert "meeting-confirmed" not in zammad.tags[ticket_id]

    zammad.agent_reply(
        ticket_id, body="<p>Confirmed: Thursday 10:00, I will call you.</p>", to=CUSTOMER
    )
    wait_for(lambda: "meeting-confirmed" in zammad.tags[ticket_id], "the agent's confirmation")
    settled(zammad, served, 5)
    assert "meeting-unconfirmed" not in zammad.tags[ticket_id]


@pytest.mark.parametrize("admin_token", [False, True], ids=["agent-token", "admin-token"])
def test_a_refused_reply_is_told_with_the_next_message(installed, admin_token: bool) -> None:
    zammad, served = installed
    if admin_token:  # Zammad shows the error's text to admins only (handles_errors.rb).
        zammad.permissions = zammad.permissions | {"admin"}
    zammad.groups[1]["email_address_id"] = None  # Zammad answers 500 to an email reply
    ticket_id, _ = zammad.receive_mail(
        sender=CUSTOMER, name="Thandi Nkosi", subject="Help", body="Please help, it is broken."
    )
    decided = settled(zammad, served, 1)
    (note,) = zammad.bot_articles(ticket_id)
    assert note["internal"] and "guidance reply not written" in note["body"]
    assert note["body"].rstrip().endswith("replied=]")
    assert "vague-subject" in zammad.tags[ticket_id]
    assert zammad.ticket(ticket_id)["sla_due_at"] is not None
    if admin_token:
        assert "No email address found for group 'Users'" in note["body"]
        assert decided[0]["errors"] and "Admin > Channels > Email" in decided[0]["errors"][0]

    zammad.groups[1]["email_address_id"] = 1  # The admin fixes the group.
    zammad.receive_mail(
        sender=CUSTOMER,
        name="Thandi Nkosi",
        subject="Re: Help",
        body="Sorry: the nightly backup of fileserver02 (10.2.0.12) fails with 'Network error' "
        "since Wednesday.",
        ticket_id=ticket_id,
    )
    settled(zammad, served, 2)
    replies = [a for a in zammad.bot_articles(ticket_id) if not a["internal"]]
    assert len(replies) == 1 and replies[0]["sender"] == "System"
    assert "subject" in replies[0]["body"].lower()  # the vague subject, told now
    last_note = [a for a in zammad.bot_articles(ticket_id) if a["internal"]][-1]
    assert "vague-subject" in last_note["body"].splitlines()[-1]
    assert zammad.ticket(ticket_id)["first_response_at"] is None
    assert "Traceback" not in served.log


def test_the_webhook_zammad_sends_is_signed_over_rails_json(installed) -> None:
    zammad, served = installed
    zammad.receive_mail(
        sender=CUSTOMER, name="Thandi Nkosi", subject="<Help> & more", body="Broken <b>again</b>."
    )
    settled(zammad, served, 1)
    (attempt,) = zammad.webhooks_sent.attempts
    assert attempt.status == 202
    assert b"\\u003cHelp\\u003e \\u0026 more" in attempt.body
    assert attempt.headers["User-Agent"] == "Zammad User Agent"
    assert attempt.headers["X-Zammad-Trigger"] == CUSTOMER_TRIGGER
    assert BOT["login"] not in attempt.body.decode()


def test_an_auto_response_as_zammad_marks_it_writes_nothing(installed) -> None:
    """Zammad's postmaster judges the headers (auto_response_check.rb) and keeps only its
    verdict in the article's preferences, which the webhook payload carries."""
    zammad, served = installed
    ticket_id, _ = zammad.receive_mail(
        sender=CUSTOMER,
        name="Thandi Nkosi",
        subject="Backup report",
        body="Thank you for your message. I am away until Monday.",
        preferences={"is-auto-response": True, "send-auto-response": False},
    )
    (decided,) = settled(zammad, served, 1)
    assert decided["decision"]["skipped"] == (
        "auto-response: the helpdesk marked it as an auto-response"
    )
    assert zammad.bot_articles(ticket_id) == [] and zammad.tags[ticket_id] == []


def test_with_tag_new_off_the_bot_tags_what_install_created(installed) -> None:
    """Tag.tag_allowed?: without tag_new and admin.tag only existing tags may be added."""
    zammad, served = installed
    zammad.tag_new = False
    zammad.permissions = frozenset({"ticket.agent"})  # the bot as a plain agent
    ticket_id, _ = zammad.receive_mail(
        sender=CUSTOMER, name="Thandi Nkosi", subject="Help", body="Please help, it is broken."
    )
    (decided,) = settled(zammad, served, 1)
    assert decided["errors"] == []
    assert {"sla-gold", "vague-subject", "needs-info"} <= set(zammad.tags[ticket_id])


def test_a_vague_ticket_waits_for_the_client_and_the_answer_moves_the_due_date(
    installed,
) -> None:
    """Issue 12: a Gold client's "Help!!" at 09:00 gets the guidance reply and waits in a
    pending state (Zammad's escalation paused); the client's informative answer four
    business hours later moves the due date by four business hours and reopens the
    ticket, with no second reply."""
    zammad, served = installed
    monday_9 = datetime(2026, 3, 2, 9, tzinfo=SAST)
    ticket_id, _ = zammad.receive_mail(
        sender=CUSTOMER, name="Thandi Nkosi", subject="Help!!", body="Help!!", at=monday_9
    )
    settled(zammad, served, 1)
    waiting = zammad.ticket(ticket_id)
    assert waiting["state"] == "pending reminder"
    assert waiting["pending_time"] is not None  # Core Workflow insists on it
    assert waiting["escalation_at"] is None  # lib/escalation.rb: paused
    assert waiting["sla_due_at"] == "2026-03-02T11:00:00.000Z"  # 13:00 SAST, 4 office hours

    zammad.receive_mail(
        sender=CUSTOMER,
        name="Thandi Nkosi",
        subject="Re: Help!!",
        body="The nightly backup of fileserver02 (10.2.0.12) fails with 'Network error' "
        "since Wednesday; we restarted the agent, no change.",
        ticket_id=ticket_id,
        at=monday_9 + timedelta(hours=4),
    )
    settled(zammad, served, 2)
    answered = zammad.ticket(ticket_id)
    assert answered["state"] == "open"  # Channel::EmailParser: the follow-up reopens it
    assert answered["pending_time"] is None
    assert answered["sla_due_at"] == "2026-03-02T15:00:00.000Z"  # 17:00 SAST: moved by 4 h
    replies = [a for a in zammad.bot_articles(ticket_id) if not a["internal"]]
    assert len(replies) == 1
    notes = [a["body"] for a in zammad.bot_articles(ticket_id) if a["internal"]]
    assert "after 4 h of waiting" in notes[-1]
    assert "2026-03-02 13:00 -> 2026-03-02 17:00" in notes[-1]
    assert "Traceback" not in served.log
