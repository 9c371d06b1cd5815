"""The executor against the shared fake helpdesk: the right writes, exactly once."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from plugin.engine import evaluate
from plugin.errors import HelpdeskError, HelpdeskRefusedError, HelpdeskUnavailableError
from plugin.executor import Executor, Plan, plan_writes, zammad_time
from plugin.helpdesk import ArticleInfo, TicketState, note_trailer, parse_trailer
from plugin.model import Event
from plugin.policy import load_policy
from plugin.sla.record import ClockRecord
from plugin.zammad.payload import parse_payload, to_event, to_model
from tests.conftest import EXAMPLES, FakeHelpdesk, example_payload

NOW = datetime(2026, 3, 4, 8, tzinfo=UTC)


@pytest.fixture
def executor(helpdesk: FakeHelpdesk, example_policy) -> Executor:
    return Executor(helpdesk, example_policy, clock=lambda: NOW)


def event_of(payload: dict) -> Event:
    """The neutral event of a Zammad payload, under the example policy."""
    return to_event(parse_payload(payload), load_policy(EXAMPLES / "policy.yaml"))


def apply(executor: Executor, helpdesk: FakeHelpdesk, name: str, **ticket_fields):
    payload = example_payload(name)
    if payload["ticket"]["id"] not in helpdesk.tickets:
        helpdesk.add_ticket(payload, **ticket_fields)
    return executor.apply(event_of(payload))


# -- the pure plan ----------------------------------------------------------------


def bot_note(article_id: int, *, about: int, replied: tuple[str, ...]) -> ArticleInfo:
    """An internal note the bot wrote about customer article ``about``."""
    body = "a note\n" + note_trailer(about, replied)
    return ArticleInfo(article_id, by_bot=True, from_customer=False, internal=True, body=body)


def empty_state(**changes) -> TicketState:
    values = {
        "tags": frozenset(),
        "priority": "2 normal",
        "state": "new",
        "due_at": None,
        "articles": (),
    } | changes
    return TicketState(**values)


def test_plan_for_a_fresh_ticket(executor, example_policy) -> None:
    ticket, message = to_model(parse_payload(example_payload("vague-subject")), example_policy)
    decision = evaluate(ticket, message, example_policy, NOW)
    plan = plan_writes(decision, empty_state(), 907, "sla_due_at")
    assert plan.reply is decision.replies[0]
    assert plan.note == decision.note and plan.replied == ("vague-subject", "needs-info")
    assert plan.add_tags == ("needs-info", "per-incident", "vague-subject")
    assert plan.fields == {"sla_due_at": "2026-03-06T10:00:00Z"}  # priority is already 2 normal
    done = empty_state(
        tags=frozenset(decision.tags),
        due_at=decision.due_at,
        articles=(
            ArticleInfo(907, by_bot=False, from_customer=True, internal=False),
            ArticleInfo(908, by_bot=True, from_customer=False, internal=False),
            bot_note(909, about=907, replied=("vague-subject",)),
        ),
    )
    assert plan_writes(decision, done, 907, "sla_due_at") == Plan(
        article_id=907, replied=plan.replied, tags=plan.tags
    )
    assert plan_writes(decision, done, 907, "sla_due_at").is_empty


def test_trailer_round_trip() -> None:
    assert parse_trailer("x\n" + note_trailer(12, ("a-b", "c"))) == (12, ("a-b", "c"))
    assert parse_trailer(note_trailer(12, ())) == (12, ())
    assert parse_trailer("a note an agent wrote") is None
    assert zammad_time(datetime(2026, 3, 3, 19, tzinfo=UTC)) == "2026-03-03T19:00:00Z"


def test_a_bot_reply_only_counts_for_the_article_it_follows() -> None:
    state = empty_state(
        articles=(
            ArticleInfo(1, by_bot=False, from_customer=True, internal=False),
            ArticleInfo(2, by_bot=True, from_customer=False, internal=False),
            ArticleInfo(3, by_bot=False, from_customer=True, internal=False),
        )
    )
    assert state.has_reply_for(1)
    assert not state.has_reply_for(3)


# -- applying decisions ----------------------------------------------------------------


def test_gold_urgent_email_is_written_back(executor, helpdesk) -> None:
    applied = apply(executor, helpdesk, "gold-urgent-email")
    assert applied.errors == []
    assert helpdesk.written("post_reply") == []
    (note,) = helpdesk.written("post_note")
    assert note.startswith("ticket-warden: Gold SLA (Acme Storage), priority request")
    assert note.endswith("[ticket-warden article=901 replied=]")
    assert sorted(helpdesk.written("add_tag")) == ["priority-request", "sla-gold"]
    assert helpdesk.written("update_ticket") == [
        {"priority": "3 high", "sla_due_at": "2026-03-03T17:00:00Z"}
    ]


def test_the_same_event_twice_writes_nothing_more(executor, helpdesk) -> None:
    apply(executor, helpdesk, "vague-subject")
    first = list(helpdesk.writes)
    assert len(helpdesk.written("post_reply")) == 1
    again = apply(executor, helpdesk, "vague-subject")
    assert helpdesk.writes == first
    assert again.writes == []


def test_crash_after_the_reply_does_not_send_it_twice(executor, helpdesk) -> None:
    helpdesk.fail_on["update_ticket"] = HelpdeskUnavailableError("connection reset")
    with pytest.raises(HelpdeskUnavailableError):
        apply(executor, helpdesk, "vague-subject")
    assert len(helpdesk.written("post_reply")) == 1
    apply(executor, helpdesk, "vague-subject")
    assert len(helpdesk.written("post_reply")) == 1
    (note,) = helpdesk.written("post_note")
    assert note.endswith("replied=vague-subject,needs-info]")
    assert {"vague-subject", "needs-info", "per-incident"} <= helpdesk.tag_sets[107]


def test_crash_after_the_note_finishes_tags_and_fields_on_retry(executor, helpdesk) -> None:
    helpdesk.fail_on["add_tag"] = HelpdeskError(503, "maintenance")
    with pytest.raises(HelpdeskError):
        apply(executor, helpdesk, "gold-urgent-email")
    apply(executor, helpdesk, "gold-urgent-email")
    assert len(helpdesk.written("post_note")) == 1
    assert helpdesk.tag_sets[101] == {"priority-request", "sla-gold"}
    assert helpdesk.tickets[101]["priority"] == "3 high"


def test_a_rejected_reply_is_noted_and_not_remembered_as_told(executor, helpdesk) -> None:
    helpdesk.fail_on["post_reply"] = HelpdeskError(422, "Invalid email address")
    applied = apply(executor, helpdesk, "vague-subject")
    assert applied.errors == ["guidance reply not written: Invalid email address (HTTP 422)"]
    (note,) = helpdesk.written("post_note")
    assert "guidance reply not written: Invalid email address" in note
    assert note.endswith("[ticket-warden article=907 replied=]")
    assert "vague-subject" in helpdesk.tag_sets[107]


def test_a_refused_reply_is_told_with_the_next_message(executor, helpdesk) -> None:
    """The tags went on, but only an accepted reply counts as told (SPEC §4)."""
    helpdesk.fail_on["post_reply"] = HelpdeskRefusedError(500, "No email address found for group")
    apply(executor, helpdesk, "vague-subject")
    assert helpdesk.written("post_reply") == []
    follow_up = copy.deepcopy(example_payload("vague-subject"))
    follow_up["ticket"]["article_count"] = 3
    follow_up["article"] |= {"id": 990, "body": "Still nothing works, please help."}
    helpdesk.articles[107].append(
        ArticleInfo(990, by_bot=False, from_customer=True, internal=False)
    )
    executor.apply(event_of(follow_up))
    (reply,) = helpdesk.written("post_reply")
    assert "vague-subject" in reply.reasons
    assert helpdesk.written("post_note")[-1].endswith(f"replied={','.join(reply.reasons)}]")


def test_on_the_last_try_a_failing_reply_is_given_up_and_the_rest_written(
    executor, helpdesk
) -> None:
    helpdesk.add_ticket(example_payload("vague-subject"))
    helpdesk.fail_on["post_reply"] = HelpdeskError(500, "Error ID x: contact your administrator")
    with pytest.raises(HelpdeskError):
        executor.apply(event_of(example_payload("vague-subject")))
    assert helpdesk.writes == []  # not the last try: the queue tries the event again
    helpdesk.fail_on["post_reply"] = HelpdeskError(500, "Error ID y: contact your administrator")
    applied = executor.apply(event_of(example_payload("vague-subject")), last_try=True)
    assert applied.errors == [
        "guidance reply not written: Error ID y: contact your administrator (HTTP 500)"
    ]
    (note,) = helpdesk.written("post_note")
    assert note.endswith("replied=]") and "Error ID y" in note
    assert "vague-subject" in helpdesk.tag_sets[107]


def test_a_due_date_the_helpdesk_cannot_hold_is_said_not_sent(executor, helpdesk) -> None:
    """Zammad drops an attribute it does not know yet from an update and answers 200."""
    applied = apply(executor, helpdesk, "gold-urgent-email", due_attribute_known=False)
    assert all("sla_due_at" not in fields for fields in helpdesk.written("update_ticket"))
    (note,) = helpdesk.written("post_note")
    assert "due date not written: the helpdesk has no ticket field 'sla_due_at' yet" in note
    assert applied.errors and "ticket-warden check" in applied.errors[0]


def test_a_due_date_dropped_by_the_update_is_an_error(executor, helpdesk, monkeypatch) -> None:
    helpdesk.add_ticket(example_payload("gold-urgent-email"))
    monkeypatch.setattr(helpdesk, "update_ticket", lambda ticket_id, fields, note: None)
    applied = executor.apply(event_of(example_payload("gold-urgent-email")))
    assert applied.errors == [
        "due date not written: the helpdesk has no ticket field 'sla_due_at' yet (run "
        "'ticket-warden install', then restart Zammad; 'ticket-warden check' tells)"
    ]


def test_fields_the_helpdesk_refuses_leave_the_note_in_alone(executor, helpdesk) -> None:
    helpdesk.fail_on["update_ticket"] = HelpdeskError(422, "No lookup value found for 'priority'")
    applied = apply(executor, helpdesk, "gold-urgent-email")
    (note,) = helpdesk.written("post_note")
    assert "ticket update not written: No lookup value found for 'priority'" in note
    assert note.endswith("[ticket-warden article=901 replied=]")  # the trailer stays last
    assert applied.writes[-1] == "tag +sla-gold" and "internal note" in applied.writes


@pytest.mark.parametrize("name", ["auto-reply"])
def test_auto_responses_need_no_helpdesk_call(executor, helpdesk, name: str) -> None:
    applied = apply(executor, helpdesk, name)
    assert applied.decision.skipped and helpdesk.writes == [] and helpdesk.reads == []


def test_internal_notes_need_no_helpdesk_call(executor, helpdesk) -> None:
    payload = example_payload("gold-urgent-email")
    payload["article"] |= {"internal": True, "type": "note", "sender": "Agent"}
    helpdesk.add_ticket(payload)
    assert executor.apply(event_of(payload)).decision.skipped == "internal note"
    assert helpdesk.writes == [] and helpdesk.reads == []


def test_an_agent_article_reads_the_ticket_once_and_writes_nothing(executor, helpdesk) -> None:
    applied = apply(executor, helpdesk, "agent-reply")
    assert applied.decision.skipped
    assert helpdesk.writes == [] and helpdesk.reads == [("state", 111)]


def test_an_agent_confirmation_swaps_the_meeting_tags(executor, helpdesk) -> None:
    payload = example_payload("agent-reply")
    payload["article"]["body"] = "<p>Confirmed: we will be on site on Thursday at 10:00.</p>"
    helpdesk.add_ticket(payload)
    helpdesk.tag_sets[111] = {"sla-gold", "meeting-request", "meeting-unconfirmed"}
    executor.apply(event_of(payload))
    assert helpdesk.tag_sets[111] == {"sla-gold", "meeting-request", "meeting-confirmed"}
    assert helpdesk.written("post_note") == [] and helpdesk.written("post_reply") == []


def test_reopened_turned_away_ticket_is_closed_again_without_a_second_reply(
    executor, helpdesk
) -> None:
    apply(executor, helpdesk, "whatsapp")
    assert helpdesk.tickets[105]["state"] == "closed"
    (reply,) = helpdesk.written("post_reply")
    assert reply.channel == "whatsapp message"
    follow_up = copy.deepcopy(example_payload("whatsapp"))
    follow_up["ticket"]["article_count"] = 2
    follow_up["article"] |= {"id": 950, "body": "hello?? anyone"}
    helpdesk.articles[105].append(
        ArticleInfo(950, by_bot=False, from_customer=True, internal=False)
    )
    helpdesk.tickets[105]["state"] = "open"  # Zammad reopens a closed ticket on a follow-up.
    executor.apply(event_of(follow_up))
    assert helpdesk.tickets[105]["state"] == "closed"
    assert len(helpdesk.written("post_reply")) == 1
    assert len(helpdesk.written("post_note")) == 2


def test_reasons_told_in_earlier_replies_are_not_told_again(executor, helpdesk) -> None:
    payload = example_payload("vague-subject")
    helpdesk.add_ticket(payload)
    helpdesk.articles[107].insert(0, bot_note(900, about=899, replied=("vague-subject",)))
    executor.apply(event_of(payload))
    (reply,) = helpdesk.written("post_reply")
    assert reply.reasons == ("needs-info",)


def test_the_due_date_already_on_the_ticket_is_kept(executor, helpdesk) -> None:
    set_before = datetime(2026, 3, 3, 10, tzinfo=UTC)
    applied = apply(executor, helpdesk, "gold-normal-friday", due_at=set_before)
    assert applied.decision.due_at == set_before
    assert all("sla_due_at" not in fields for fields in helpdesk.written("update_ticket"))


def test_trailer_tags_for_helpdesks_without_tags() -> None:
    trailer = note_trailer(5, ("needs-info",), ("per-incident", "needs-info"))
    assert trailer == "[ticket-warden article=5 replied=needs-info tags=per-incident,needs-info]"
    assert parse_trailer(trailer) == (5, ("needs-info",))
    state = empty_state(
        articles=(
            ArticleInfo(6, by_bot=True, from_customer=False, internal=True, body="n\n" + trailer),
            ArticleInfo(
                9,
                by_bot=True,
                from_customer=False,
                internal=True,
                body="n\n" + note_trailer(8, (), ("per-incident",)),
            ),
        )
    )
    assert state.recorded_tags() == {"per-incident"}
    assert empty_state().recorded_tags() == frozenset()


def test_a_helpdesk_without_tags_gets_them_in_the_note(example_policy) -> None:
    helpdesk = FakeHelpdesk()
    helpdesk.keeps_tags = False
    executor = Executor(helpdesk, example_policy, clock=lambda: NOW)
    apply(executor, helpdesk, "gold-urgent-email")
    assert helpdesk.written("add_tag") == []
    (note,) = helpdesk.written("post_note")
    assert note.endswith("[ticket-warden article=901 replied= tags=priority-request,sla-gold]")


class MemoryClocks:
    """SLA clock records kept in memory (the store's clock methods)."""

    def __init__(self) -> None:
        self.records: dict[str, ClockRecord] = {}

    def clock(self, ticket: str) -> ClockRecord | None:
        return self.records.get(ticket)

    def save_clock(self, record: ClockRecord) -> None:
        self.records[record.ticket] = record


def test_a_reply_that_asks_makes_the_ticket_wait(helpdesk, example_policy) -> None:
    clocks = MemoryClocks()
    executor = Executor(helpdesk, example_policy, clock=lambda: NOW, clocks=clocks)
    apply(executor, helpdesk, "vague-subject")
    (fields,) = helpdesk.written("update_ticket")
    assert fields["state"] == "pending reminder" and "pending_time" in fields
    assert clocks.records["107"].paused_since is not None
    assert "SLA clock: waiting for the client's answer" in helpdesk.written("post_note")[-1]


def test_a_refused_reply_asks_nothing_so_nothing_waits(helpdesk, example_policy) -> None:
    clocks = MemoryClocks()
    executor = Executor(helpdesk, example_policy, clock=lambda: NOW, clocks=clocks)
    helpdesk.fail_on["post_reply"] = HelpdeskRefusedError(500, "No email address found for group")
    apply(executor, helpdesk, "vague-subject")
    assert all("state" not in fields for fields in helpdesk.written("update_ticket"))
    record = clocks.records["107"]
    assert record.paused_since is None and record.due_at is not None  # it runs
    assert "SLA clock" not in helpdesk.written("post_note")[-1]
