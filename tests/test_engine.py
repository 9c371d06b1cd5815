"""evaluate(): whole decisions from the neutral model, the policy and a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from plugin.engine import evaluate
from plugin.model import Customer
from plugin.names import Flag, Sender
from plugin.policy import load_policy_text
from tests.conftest import email, sast, ticket_for

NOW = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
ACME = "thandi@acme.example"  # gold
BRIGHT = "pieter@brightlogistics.example"  # silver
WALK_IN = "sam@gmail.example"  # per-incident


def decide(policy, message, customer_email=ACME, **ticket_changes):
    return evaluate(ticket_for(message, customer_email, **ticket_changes), message, policy, NOW)


# -- SPEC §2 worked examples ------------------------------------------------------------


@pytest.mark.parametrize(
    ("customer", "subject", "received", "due", "priority"),
    [
        (ACME, "URGENT: mail server down", sast(2026, 3, 3, 15), sast(2026, 3, 3, 19), "3 high"),
        (ACME, "Backup fails on fs02", sast(2026, 3, 6, 15), sast(2026, 3, 9, 10), "2 normal"),
        (BRIGHT, "VPN drops on fw01", sast(2026, 4, 24, 14), sast(2026, 4, 28, 13), "2 normal"),
        (
            WALK_IN,
            "NAS share asks for password",
            sast(2026, 3, 6, 10),
            sast(2026, 3, 9, 8),
            "2 normal",
        ),
        # Silver priority request: 8 h on the 24x7 clock, through the night.
        (BRIGHT, "Outage: depot network down", sast(2026, 3, 6, 20), sast(2026, 3, 7, 4), "3 high"),
        # Per-incident with an urgent subject is still a 48 h target.
        (WALK_IN, "URGENT server down", sast(2026, 3, 4, 9), sast(2026, 3, 6, 9), "2 normal"),
    ],
)
def test_worked_examples(example_policy, customer, subject, received, due, priority) -> None:
    decision = decide(example_policy, email(subject, received=received), customer)
    assert decision.due_at == due
    assert decision.due_at.isoformat() == due.isoformat()
    assert decision.priority == priority
    assert decision.skipped is None


def test_gold_priority_request_decision(example_policy) -> None:
    decision = decide(
        example_policy,
        email("URGENT: mail server mx1 rejects all incoming mail", received=sast(2026, 3, 3, 15)),
    )
    assert decision.to_json() | {"note": None} == {
        "tier": "gold",
        "client": "Acme Storage",
        "priority_request": True,
        "priority": "3 high",
        "due_at": "2026-03-03T19:00:00+02:00",
        "guaranteed": True,
        "tags": ["priority-request", "sla-gold"],
        "remove_tags": [],
        "replies": [],
        "note": None,
        "close": False,
        "skipped": None,
        "findings": [
            {"flag": "priority-request", "reason": "subject contains the marker 'URGENT'"}
        ],
        "doubts": [],
    }
    assert decision.note.splitlines() == [
        "ticket-warden: Gold SLA (Acme Storage), priority request, priority 3 high.",
        "Due Tue 2026-03-03 19:00 SAST (24x7 clock, guaranteed).",
        "- priority-request: subject contains the marker 'URGENT'",
    ]


def test_per_incident_is_a_target_not_a_guarantee(example_policy) -> None:
    decision = decide(example_policy, email(received=sast(2026, 3, 6, 10)), WALK_IN)
    assert decision.guaranteed is False
    assert decision.tags == ("per-incident",)
    assert "a target, not guaranteed" in decision.note


def test_client_tailored_response_hours(example_policy) -> None:
    decision = decide(example_policy, email(received=sast(2026, 3, 4, 16)), "it@cobalt.example")
    assert decision.client == "Cobalt Clinics"
    assert decision.due_at == sast(2026, 3, 5, 9)


def test_project_task_has_no_due_date_and_low_priority(example_policy) -> None:
    decision = decide(example_policy, email("Quote for migration of 40 mailboxes"))
    assert decision.due_at is None and decision.guaranteed is False
    assert decision.priority == "1 low"
    assert "project-task" in decision.tags
    assert "needs a quote" in decision.note
    assert decision.replies == ()


# -- turned away ------------------------------------------------------------------------------


def test_whatsapp_is_turned_away_on_its_own_channel(example_policy) -> None:
    message = email(
        "", body="pls call me", channel="whatsapp message", from_address="+27825550101", to=()
    )
    decision = decide(example_policy, message, WALK_IN)
    assert decision.due_at is None and decision.close is True
    assert decision.tags == ("non-email-channel", "per-incident")
    (reply,) = decision.replies
    assert (reply.channel, reply.to, reply.reasons) == (
        "whatsapp message",
        "+27825550101",
        ("non-email-channel",),
    )
    assert "not by WhatsApp" in reply.body and "support@xstore.example" in reply.body
    assert "ticket has been closed" in reply.body


def test_phone_ticket_is_answered_by_email_and_without_address_only_noted(example_policy) -> None:
    phone = email(channel="phone", from_address=None)
    (reply,) = decide(example_policy, phone, WALK_IN).replies
    assert (reply.channel, reply.to) == ("email", WALK_IN)
    nobody = decide(example_policy, phone, WALK_IN, customer=Customer(name="Walk-in"))
    assert nobody.replies == ()
    assert "No guidance reply: no email address" in nobody.note


def test_wrong_address_is_turned_away_and_close_is_configurable(example_policy) -> None:
    message = email(to=("johan@xstore.example",))
    decision = decide(example_policy, message)
    assert decision.close is True and decision.due_at is None
    assert decision.replies[0].reasons == ("wrong-address",)
    keep_open = load_policy_text("turn_away: {close: false}\n")
    decision = decide(keep_open, message)
    assert decision.close is False
    assert "closed" not in decision.replies[0].body


def test_reopened_turned_away_ticket_is_closed_again_without_a_second_reply(example_policy) -> None:
    message = email(channel="whatsapp message", from_address="+27825550101", to=())
    decision = decide(
        example_policy,
        message,
        WALK_IN,
        is_new=False,
        tags=frozenset({"non-email-channel", "per-incident"}),
        replied_reasons=frozenset({"non-email-channel"}),
    )
    assert decision.close is True
    assert decision.replies == ()


def test_proper_email_after_a_turn_away_clears_the_flag(example_policy) -> None:
    decision = decide(
        example_policy,
        email(received=sast(2026, 3, 4, 10)),
        WALK_IN,
        is_new=False,
        tags=frozenset({"non-email-channel", "per-incident"}),
    )
    assert decision.remove_tags == ("non-email-channel",)
    assert decision.close is False
    assert decision.due_at == sast(2026, 3, 6, 10)


# -- guidance replies ------------------------------------------------------------------------


def test_one_reply_combines_every_reason(example_policy) -> None:
    message = email("Help!!", body="it doesnt work", received=sast(2026, 3, 7, 11))
    decision = decide(example_policy, message, WALK_IN)
    (reply,) = decision.replies
    assert reply.reasons == ("vague-subject", "needs-info", "outside-office-hours")
    assert reply.subject == "[Ticket#10001] Help!!"
    assert reply.to == WALK_IN and reply.channel == "email"
    body = reply.body
    assert "subject that describes the problem" in body
    assert "exact error text" in body
    assert "Per-incident support is provided only during office hours" in body
    assert "office opens Mon 2026-03-09 08:00 SAST" in body
    assert "https://xstore.example/efficient-support-request" in body
    assert "https://xstore.example/terms" in body
    assert "10001" in body
    assert "vague-subject" not in body  # plain words, not tag names
    assert "Guidance reply: vague-subject, needs-info, outside-office-hours." in decision.note


def test_each_reason_is_told_once_per_ticket(example_policy) -> None:
    message = email("Help!!", body="it doesnt work")
    told = decide(example_policy, message, WALK_IN, replied_reasons=frozenset({"vague-subject"}))
    assert told.replies[0].reasons == ("needs-info",)
    both = frozenset({"vague-subject", "needs-info"})
    all_told = decide(example_policy, message, WALK_IN, tags=both, replied_reasons=both)
    assert all_told.replies == ()
    assert {"vague-subject", "needs-info"} <= set(all_told.tags)


def test_a_tag_is_no_proof_that_the_client_was_told(example_policy) -> None:
    """Tags are written even when the helpdesk refused the reply (SPEC §4)."""
    message = email("Help!!", body="it doesnt work")
    tagged = decide(
        example_policy, message, WALK_IN, tags=frozenset({"vague-subject", "needs-info"})
    )
    assert tagged.replies[0].reasons == ("vague-subject", "needs-info")


def test_values_in_replies_are_html_escaped(example_policy) -> None:
    customer = Customer(email=WALK_IN, name="<script>alert(1)</script>")
    decision = decide(
        example_policy, email("Help"), WALK_IN, customer=customer, title="<b>Help</b>"
    )
    body = decision.replies[0].body
    assert "<script>" not in body and "&lt;script&gt;" in body
    assert decision.replies[0].subject == "[Ticket#10001] <b>Help</b>"  # subject is plain text


def test_sla_priority_request_outside_hours_gets_no_office_hours_reply(example_policy) -> None:
    message = email("URGENT: storage01 down", received=sast(2026, 3, 7, 22))
    decision = decide(example_policy, message)
    assert "outside-office-hours" in decision.tags
    assert decision.replies == ()
    assert decision.due_at == sast(2026, 3, 8, 2)


def test_sla_normal_request_outside_hours_is_told_when_the_office_opens(example_policy) -> None:
    decision = decide(example_policy, email(received=sast(2026, 3, 7, 22)))
    assert "handled in office hours" in decision.replies[0].body


# -- meetings -------------------------------------------------------------------------------------


def test_meeting_request_per_incident_and_sla(example_policy) -> None:
    message = email(
        "Can we set up a meeting about the firewall rules on fw01?", received=sast(2026, 3, 4, 11)
    )
    walk_in = decide(example_policy, message, WALK_IN)
    assert {"meeting-request", "meeting-unconfirmed"} <= set(walk_in.tags)
    assert "Appointments are not guaranteed" in walk_in.replies[0].body
    gold = decide(example_policy, message)
    assert "only confirmed once we have sent you a confirmation" in gold.replies[0].body
    assert "not guaranteed" not in gold.replies[0].body


def test_agent_confirmation_clears_meeting_unconfirmed(example_policy) -> None:
    confirmation = email(
        body="Confirmed: we will be on site Thursday at 10:00.", sender=Sender.AGENT
    )
    tags = frozenset({"sla-gold", "meeting-request", "meeting-unconfirmed"})
    decision = decide(example_policy, confirmation, is_new=False, tags=tags)
    assert decision.skipped is None
    assert decision.remove_tags == ("meeting-unconfirmed",)
    assert set(decision.tags) == {"meeting-request", "meeting-confirmed"}
    assert decision.replies == ()
    # The same agent mail on a ticket with no meeting pending is simply skipped.
    assert decide(example_policy, confirmation, is_new=False).skipped is not None


def test_follow_up_after_confirmation_does_not_unconfirm(example_policy) -> None:
    tags = frozenset({"sla-gold", "meeting-request", "meeting-confirmed"})
    message = email(
        "Re: Meeting about fw01", body="Thursday at 10:00 for the meeting suits us. See you."
    )
    decision = decide(example_policy, message, is_new=False, tags=tags, title="Meeting about fw01")
    assert "meeting-unconfirmed" not in decision.tags
    assert "meeting-confirmed" in decision.tags


# -- follow-ups ----------------------------------------------------------------------------------


def test_follow_up_keeps_the_due_date_set_at_creation(example_policy) -> None:
    set_at_creation = sast(2026, 3, 3, 19)
    decision = decide(
        example_policy, email(received=sast(2026, 3, 5, 10)), is_new=False, due_at=set_at_creation
    )
    assert decision.due_at == set_at_creation


def test_needs_info_is_removed_once_information_arrives(example_policy) -> None:
    tags = frozenset({"per-incident", "needs-info"})
    decision = decide(example_policy, email("Re: Help"), WALK_IN, is_new=False, tags=tags)
    assert decision.remove_tags == ("needs-info",)
    still_thin = decide(
        example_policy,
        email("Re: Help", body="any news?"),
        WALK_IN,
        is_new=False,
        tags=tags,
        replied_reasons=frozenset({"needs-info", "vague-subject"}),
    )
    assert "needs-info" in still_thin.tags and still_thin.remove_tags == ()
    assert still_thin.replies == ()


def test_a_short_thank_you_on_a_good_ticket_is_not_needs_info(example_policy) -> None:
    decision = decide(
        example_policy, email(body="Thanks!"), is_new=False, tags=frozenset({"sla-gold"})
    )
    assert "needs-info" not in decision.tags
    assert decision.replies == ()


def test_tier_change_replaces_the_tier_tag(example_policy) -> None:
    decision = decide(
        example_policy, email(), is_new=False, tags=frozenset({"per-incident", "vip"})
    )
    assert decision.remove_tags == ("per-incident",)  # "vip" is not ticket-warden's to remove
    assert "sla-gold" in decision.tags


# -- skips and configuration --------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        email(sender=Sender.AGENT),
        email(internal=True),
        email(is_auto_response=True),
        email(written_by_bot=True),
        None,
    ],
)
def test_skipped_messages_write_nothing(example_policy, message) -> None:
    ticket = ticket_for(email())
    decision = evaluate(ticket, message, example_policy, NOW)
    assert decision.skipped
    assert decision.tags == () and decision.replies == () and decision.note == ""
    assert decision.close is False


def test_renamed_tags_are_used_everywhere() -> None:
    policy = load_policy_text("tags: {vague-subject: bad-subject}\n")
    decision = decide(policy, email("Help"), WALK_IN)
    assert "bad-subject" in decision.tags and "vague-subject" not in decision.tags
    told = decide(
        policy,
        email("Help"),
        WALK_IN,
        tags=frozenset({"bad-subject"}),
        replied_reasons=frozenset({"vague-subject"}),
    )
    assert "vague-subject" not in (told.replies[0].reasons if told.replies else ())


def test_received_time_falls_back_to_now(example_policy) -> None:
    message = email(created_at=None)
    ticket = replace(ticket_for(message), created_at=None)
    decision = evaluate(ticket, message, example_policy, datetime(2026, 3, 4, 8, tzinfo=UTC))
    assert decision.due_at == sast(2026, 3, 4, 14)


def test_follow_ups_keep_the_priority_agents_set_unless_newly_urgent(example_policy) -> None:
    follow_up = decide(example_policy, email(), is_new=False, priority="1 low")
    assert follow_up.priority == "1 low"
    urgent = decide(example_policy, email("URGENT: backup down"), is_new=False, priority="1 low")
    assert urgent.priority == "3 high"


def test_a_doubt_is_noted_for_agents_and_never_told(example_policy) -> None:
    # "talk" is a maybe phrase: perhaps a meeting request, perhaps not.
    message = email(body="The backup on fileserver02 fails with error 0x5; can we talk?")
    decision = decide(example_policy, message, WALK_IN)
    assert "meeting-request" not in decision.tags
    assert [doubt.flag for doubt in decision.doubts] == [Flag.MEETING_REQUEST]
    assert decision.replies == ()
    assert any(
        line.startswith("- meeting-request? ") and "nothing told to the client" in line
        for line in decision.note.splitlines()
    )


def test_a_message_that_may_be_machine_written_gets_no_reply(example_policy) -> None:
    message = email("Your invoice", body="Please find the invoice attached.")
    decision = decide(example_policy, message, WALK_IN)
    assert decision.skipped is None
    assert "vague-subject" in decision.tags
    assert decision.replies == ()
    assert "No guidance reply: the message may not be from a person" in decision.note


def test_a_message_that_asks_for_a_meeting_is_not_told_it_lacks_detail(example_policy) -> None:
    """However short, a meeting request says what is wanted (SPEC §3)."""
    decision = decide(example_policy, email("Help", body="Please call me back"), WALK_IN)
    assert "meeting-request" in decision.tags
    assert "needs-info" not in decision.tags
    thin = decide(example_policy, email("Help", body="Please help asap"), WALK_IN)
    assert "needs-info" in thin.tags
