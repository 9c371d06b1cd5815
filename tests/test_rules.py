"""Each classifier on its own: pure functions, no fakes."""

from __future__ import annotations

from dataclasses import replace
from email.utils import getaddresses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.model import Customer
from plugin.names import Flag, Sender
from plugin.policy import Policy, load_policy
from plugin.rules.channel import address_finding, addresses, channel_finding
from plugin.rules.client import match_client
from plugin.rules.hours import outside_hours_finding
from plugin.rules.info import needs_info_finding, specifics_in
from plugin.rules.machine import MachineVerdict, machine_verdict
from plugin.rules.meeting import confirmation_finding, meeting_finding
from plugin.rules.priority import priority_finding
from plugin.rules.project import project_finding
from plugin.rules.skip import skip_reason
from plugin.rules.subject import vague_subject_finding
from tests.conftest import email, sast

# -- client and tier -------------------------------------------------------------


@pytest.mark.parametrize(
    ("customer", "tier", "client", "why"),
    [
        (Customer(organization="ACME STORAGE (PTY) LTD"), "gold", "Acme Storage", "organization"),
        (Customer(email="x@acme.example"), "gold", "Acme Storage", "email domain"),
        (Customer(email="x@mail.acme.example"), "gold", "Acme Storage", "email domain"),
        (Customer(email="x@notacme.example"), "per-incident", None, "default tier"),
        (Customer(email="pieter@brightlogistics.example"), "silver", "Bright Logistics", "domain"),
        (Customer(email="IT@cobalt.example"), "gold", "Cobalt Clinics", "email address"),
        (Customer(email="other@cobalt.example"), "per-incident", None, "default tier"),
        (Customer(), "per-incident", None, "default tier"),
    ],
)
def test_match_client(example_policy, customer, tier, client, why) -> None:
    match = match_client(customer, example_policy)
    assert match.tier == tier
    assert (match.client.name if match.client else None) == client
    assert why in match.reason


def test_first_matching_client_wins(example_policy) -> None:
    policy = example_policy.model_copy(
        update={"clients": [*example_policy.clients[1:], example_policy.clients[0]]}
    )
    both = Customer(email="x@brightlogistics.example", organization="Acme Storage (Pty) Ltd")
    assert match_client(both, example_policy).client.name == "Acme Storage"
    assert match_client(both, policy).client.name == "Bright Logistics"


def test_organization_attribute_names_the_tier(example_policy) -> None:
    policy = example_policy.model_copy(update={"organization_tier_attribute": "support_tier"})
    customer = Customer(email="a@unknown.example", organization_tier="Silver")
    assert match_client(customer, policy).tier == "silver"
    assert match_client(customer, example_policy).tier == "per-incident"  # attribute not enabled
    unknown = Customer(email="a@unknown.example", organization_tier="bronze")
    assert match_client(unknown, policy).tier == "per-incident"


# -- channel and address ------------------------------------------------------------


@pytest.mark.parametrize(
    "channel",
    [
        "whatsapp message",
        "facebook direct-message",
        "telegram personal-message",
        "web",
        "phone",
        "sms",
        "chat",
        "twitter direct-message",
        "hangouts",
    ],
)
def test_every_channel_but_email_is_turned_away(builtin_policy, channel: str) -> None:
    finding = channel_finding(email(channel=channel), builtin_policy)
    assert finding is not None and finding.flag is Flag.NON_EMAIL_CHANNEL
    assert channel in finding.reason


def test_email_is_accepted(builtin_policy) -> None:
    assert channel_finding(email(channel="Email"), builtin_policy) is None


@pytest.mark.parametrize(
    ("to", "cc", "wrong"),
    [
        (("support@xstore.example",), (), False),
        (("XStore Support <SUPPORT@XSTORE.EXAMPLE>",), (), False),
        (("johan@xstore.example",), ("Support <support@xstore.example>",), False),
        (("johan@xstore.example, sales@xstore.example",), (), True),
        ((), (), True),
        (('"support@xstore.example" <johan@xstore.example>',), (), True),  # display name ignored
    ],
)
def test_ticket_address(builtin_policy, to, cc, wrong: bool) -> None:
    finding = address_finding(email(to=to, cc=cc), builtin_policy)
    assert (finding is not None) is wrong
    if finding:
        assert "support@xstore.example" in finding.reason


def test_address_rule_only_applies_to_email(builtin_policy) -> None:
    assert address_finding(email(channel="sms", to=()), builtin_policy) is None


def test_addresses_parses_display_names() -> None:
    assert addresses(('A <a@x.example>, "B, C" <b@x.example>', "c@x.example")) == (
        "a@x.example",
        "b@x.example",
        "c@x.example",
    )


# -- priority requests -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("URGENT: mail server down", "URGENT"),
        ("Re: Mail server is Down", "Down"),
        ("Outage at Durban branch", "Outage"),
        ("Download of ISO fails", None),  # whole words only
        ("Urgently needed: new toner", None),
        ("Backup fails", None),
    ],
)
def test_priority_markers(example_policy, subject: str, expected: str | None) -> None:
    finding = priority_finding(subject, email(subject), example_policy, "gold")
    assert (finding.reason if finding else None) == (
        f"subject contains the marker '{expected}'" if expected else None
    )


def test_per_incident_clients_have_no_priority_requests(example_policy) -> None:
    assert priority_finding("URGENT: down", email(), example_policy, "per-incident") is None


def test_priority_address(example_policy) -> None:
    message = email("Backup fails", to=("urgent@xstore.example",), cc=("support@xstore.example",))
    finding = priority_finding("Backup fails", message, example_policy, "silver")
    assert finding is not None and "urgent@xstore.example" in finding.reason


# -- vague subjects ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "reason"),
    [
        ("", "the subject is empty"),
        ("-", "the subject is a placeholder ('-')"),
        ("Re: Fwd:", "the subject is empty"),
        ("(no subject)", "the subject is a placeholder ('(no subject)')"),
        ("Help!! urgent", "the subject 'Help!! urgent' has only generic words (help, urgent)"),
        ("!!!", "the subject '!!!' has no words"),
    ],
)
def test_vague_subject_reasons(subject: str, reason: str) -> None:
    finding = vague_subject_finding(subject)
    assert finding is not None and finding.reason == reason


def test_ticket_numbers_are_specific_single_digits_are_not() -> None:
    assert vague_subject_finding("Invoice 4471") is None
    assert vague_subject_finding("Problem 2") is not None


# -- needs info ------------------------------------------------------------------------------


def test_needs_info(builtin_policy) -> None:
    assert needs_info_finding(email(), builtin_policy) is None
    short = needs_info_finding(email("Help", body="Please help asap"), builtin_policy)
    assert short is not None and short.reason == "the message is too short (3 words)"
    assert short.sure
    thin = needs_info_finding(
        email(
            "Problem",
            body="Hello, our system is giving us trouble again and we would like you to look "
            "at it for us as soon as you can please.",
        ),
        builtin_policy,
    )
    assert thin is not None and "names an error text" in thin.reason
    assert thin.sure  # a vague subject and a text that names nothing
    empty = needs_info_finding(email("Urgent", body=""), builtin_policy)
    assert empty is not None and empty.reason == "the message has no text"
    only_attachment = needs_info_finding(
        email(
            "Hello",
            body="<p></p><p>Sent from my iPhone</p>",
            content_type="text/html",
            attachment_count=1,
        ),
        builtin_policy,
    )
    assert only_attachment is not None and "only an attachment" in only_attachment.reason


def test_a_specific_subject_is_enough_without_a_body(builtin_policy) -> None:
    """ "Word fehlt auf IR1 PC 03" with an empty body: the agent knows what to do."""
    assert needs_info_finding(email("Word fehlt auf IR1 PC 03", body=""), builtin_policy) is None


def test_a_specific_sentence_in_the_text_is_enough(builtin_policy) -> None:
    message = email(
        "Drucker tot",
        body="Der LaserJet im Büro druckt nicht mehr. Bitte anschauen.",
    )
    assert needs_info_finding(message, builtin_policy) is None


def test_a_product_named_in_the_text_makes_it_only_a_doubt(builtin_policy) -> None:
    finding = needs_info_finding(email("Problem", body="Zimbra again"), builtin_policy)
    assert finding is not None
    assert not finding.sure
    assert "a product's name" in finding.reason


def test_dates_and_times_are_not_numbers_that_make_a_message_specific(builtin_policy) -> None:
    finding = needs_info_finding(
        email("Problem", body="Since 12.03. at 14:00 help"), builtin_policy
    )
    assert finding is not None


def test_a_lone_count_is_no_number_an_agent_can_start_from(builtin_policy) -> None:
    body = "2 of the workstations in the back office are not working."
    finding = needs_info_finding(email("Not working", body=body), builtin_policy)
    assert finding is not None and finding.sure
    assert "a version or number" in specifics_in("it fails since version 1.6")
    assert "a version or number" in specifics_in("Employee E001 cannot log in")


def test_only_a_word_written_as_a_name_makes_it_a_doubt(builtin_policy) -> None:
    """A rare word in lower case is a misspelling more often than a product."""
    misspelt = needs_info_finding(
        email("No funciona", body="hize todos los pasos y nada"), builtin_policy
    )
    assert misspelt is not None and misspelt.sure
    named = needs_info_finding(email("No funciona", body="otra vez con FleetOne"), builtin_policy)
    assert named is not None and not named.sure


@pytest.mark.parametrize("body", ["Thanks!", "Danke, alles gut.", "ok, merci beaucoup"])
def test_a_message_that_only_thanks_lacks_nothing(builtin_policy, body: str) -> None:
    assert needs_info_finding(email("Re: your ticket", body=body), builtin_policy) is None


def test_a_long_message_is_enough_even_without_specifics(builtin_policy) -> None:
    body = " ".join(["our whole team sees the same trouble with the shared calendar"] * 5)
    assert needs_info_finding(email(body=body), builtin_policy) is None


def test_needs_info_ignores_the_quoted_earlier_mail(builtin_policy) -> None:
    body = (
        "<p>Any news?</p><blockquote>The nightly backup of fileserver02 (10.2.0.12) fails with "
        "'Network error' since Wednesday; we restarted the agent.</blockquote>"
    )
    message = email("Any news?", body=body, content_type="text/html")
    assert needs_info_finding(message, builtin_policy)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("it fails with a timeout", "error text"),
        ("mail to 10.0.0.5 bounces", "an address"),
        ("the box fileserver02 is slow", "a host"),
        ("since version 24.04", "a version or number"),
        ("the folder /srv/share/projects is empty", "a path"),
        ("when I open Outlook it closes", "steps"),
    ],
)
def test_specifics(text: str, kind: str) -> None:
    assert kind in specifics_in(text)


# -- meetings, projects, office hours --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Can we set up a meeting on Thursday?",
        "Please arrange a call-back",
        "Need an on-site visit",
        "Could you book a time to visit our office?",
        "Consultation request for our network redesign",
        "Können wir einen Termin vereinbaren?",
        "Could someone help us set up the projector on Tuesday at 10:00?",
        "Passt es Ihnen morgen um 9 Uhr?",
    ],
)
def test_meeting_requests(text: str, builtin_policy: Policy) -> None:
    finding = meeting_finding(email("Firewall review", body=text), builtin_policy)
    assert finding is not None
    assert finding.sure


def test_not_a_meeting(builtin_policy: Policy) -> None:
    assert meeting_finding(email(), builtin_policy) is None
    since = email("Backup", body="The backup has failed since Monday 02:00 on fileserver02.")
    assert meeting_finding(since, builtin_policy) is None
    deadline = email("New PC", body="Please set up the new PC before Monday 8/14.")
    assert meeting_finding(deadline, builtin_policy) is None
    # "visit" alone is a maybe: agents are told, the client is not.
    doubt = meeting_finding(
        email(body="When I visit the intranet page it times out"), builtin_policy
    )
    assert doubt is not None
    assert not doubt.sure
    assert "perhaps a meeting request" in doubt.reason


def test_a_policy_adds_its_own_meeting_phrases(builtin_policy: Policy, tmp_path: Path) -> None:
    message = email("Braai on Friday?", body="Shall we go through it over a braai?")
    assert meeting_finding(message, builtin_policy) is None
    own = tmp_path / "policy.yaml"
    own.write_text("phrases:\n  meeting_request:\n    sure: [over a braai]\n", "utf-8")
    finding = meeting_finding(message, load_policy(own))
    assert finding is not None
    assert finding.sure
    assert "over a braai" in finding.reason


def test_confirmation() -> None:
    agent = email(body="Confirmed: we will be on site Thursday at 10:00.", sender=Sender.AGENT)
    assert confirmation_finding(agent) is not None
    assert confirmation_finding(replace(agent, internal=True)) is None
    assert confirmation_finding(email(body="Which day suits you?", sender=Sender.AGENT)) is None


@pytest.mark.parametrize(
    "subject",
    [
        "Quote for 3 new laptops",
        "Migration of mailboxes to new server",
        "Office 365 roll-out",
        "Upgrade all workstations to Windows 11",
        "New installation at the Durban branch",
        "Proposal for a backup solution",
        "Mass deployment of the VPN client",
        "Implementación de la factura electrónica",
    ],
)
def test_project_tasks(subject: str, builtin_policy: Policy) -> None:
    finding = project_finding(email(subject, body="See subject."), builtin_policy)
    assert finding is not None
    assert finding.sure


def test_not_project_work(builtin_policy: Policy) -> None:
    assert project_finding(email(), builtin_policy) is None
    assert project_finding(email(body='I quote the error: "disk full"'), builtin_policy) is None
    doubt = project_finding(
        email("After the upgrade Outlook crashes", body="It crashes."), builtin_policy
    )
    assert doubt is not None
    assert not doubt.sure


def test_outside_office_hours(builtin_policy) -> None:
    assert outside_hours_finding(sast(2026, 3, 4, 10), builtin_policy) is None
    finding = outside_hours_finding(sast(2026, 3, 7, 21, 30), builtin_policy)
    assert finding is not None
    assert finding.reason == (
        "received Sat 2026-03-07 21:30 SAST; the office opens Mon 2026-03-09 08:00 SAST"
    )


# -- never act on ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"internal": True}, "internal note"),
        ({"sender": Sender.AGENT}, "written by the agent, not the customer"),
        ({"sender": Sender.SYSTEM}, "written by the system, not the customer"),
        ({"written_by_bot": True}, "written by ticket-warden itself"),
        ({"is_auto_response": True}, "auto-response: the helpdesk marked it"),
        ({"from_address": "MAILER-DAEMON@mx.example"}, "auto-response: a delivery-status bounce"),
        ({"subject": "Undelivered Mail Returned to Sender"}, "auto-response: a bounce"),
        ({"subject": "Automatic reply: Backup fails"}, "auto-response: an automatic reply"),
    ],
)
def test_skip_reasons(changes, reason: str) -> None:
    skipped = skip_reason(email(**changes))
    assert skipped is not None and skipped.startswith(reason)


def test_customer_mail_is_not_skipped() -> None:
    assert skip_reason(email()) is None
    assert skip_reason(None) is not None


def test_unknown_channel_and_recipients_are_not_judged(builtin_policy) -> None:
    unknown = email(channel="web", to=(), channel_known=False, recipients_known=False)
    assert channel_finding(unknown, builtin_policy) is None
    assert address_finding(unknown, builtin_policy) is None


@pytest.mark.parametrize(
    "footer",
    [
        "This message was generated automatically.",
        "This email was sent by the backup server.",
        "Please do not reply to this email.",
        "Diese E-Mail wurde automatisch erstellt.",
        "Merci de ne pas répondre à ce message.",
        "Este mensaje fue generado automáticamente.",
        "Por favor, não responda.",
        "Dit bericht is automatisch gegenereerd.",
        "Moenie antwoord nie.",
        "Sie haben soeben ein neues Fax von +4912 empfangen.",
    ],
)
def test_mail_that_says_it_was_sent_automatically_is_skipped(footer: str) -> None:
    message = email("Status", body=f"Job finished.\n\n{footer}")
    reason = skip_reason(message)
    assert reason is not None and reason.startswith("machine-written")


def test_two_weak_signs_of_a_mailing_or_a_bill_skip_it() -> None:
    mailing = email("【 直通美国排名第49大学 】", body="您回复此邮箱即可退订。")
    assert machine_verdict(mailing) == MachineVerdict(
        "a notice, report or mailing by its subject ('【 直通美国排名第49大学 】') and "
        "a mailing by its text ('退订')",
        sure=True,
    )
    bill = email(
        "Rechnung RE-88123",
        body="anbei unsere Rechnung.",
        from_address="Buchhaltung <buchhaltung@supplier.example>",
    )
    verdict = machine_verdict(bill)
    assert verdict is not None and verdict.sure
    assert "sales or accounts address (buchhaltung@supplier.example)" in verdict.reason


def test_a_sales_address_alone_is_only_a_doubt() -> None:
    verdict = machine_verdict(
        email(from_address="sales@partner.example", subject="Backup on fileserver02 fails")
    )
    assert verdict is not None and not verdict.sure


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("*****SPAM***** Cheap watches", "Buy now."),
        ("ADV: your brand new house", "Visit our site."),
        ("Disposition notification", "The message sent on Monday has been displayed."),
        ("Report", "This is no guarantee that the message has been read or understood."),
        ("complaint about message from 192.0.2.1", "This is an email abuse report."),
    ],
)
def test_spam_tags_read_receipts_and_abuse_reports_are_skipped(subject: str, body: str) -> None:
    verdict = machine_verdict(email(subject, body=body))
    assert verdict is not None and verdict.sure


def test_a_greeting_or_a_test_is_no_request_that_lacks_detail(builtin_policy) -> None:
    for body in ("Hi", "This is email reply 1.", "the report is done, I send it tomorrow"):
        assert needs_info_finding(email("", body=body), builtin_policy) is None
    for body in ("Hi, it does not work", "Help please", "I need access"):
        finding = needs_info_finding(email("", body=body), builtin_policy)
        assert finding is not None, body


def _parsed_by_the_standard_library(field: str) -> tuple[str, ...]:
    try:
        pairs = getaddresses([field])
    except RecursionError:
        return ()
    return tuple(address.strip().lower() for _name, address in pairs if "@" in address)


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="ab .@<>\"'(),;:\\[]-_+Ü\t", max_size=40),
        st.builds(
            "{} <{}@{}>".format,
            st.text(alphabet="abc Ü.'-[]", max_size=12),
            st.text(alphabet="abc.+-_", min_size=1, max_size=8),
            st.text(alphabet="abc.-", min_size=1, max_size=8),
        ),
    )
)
def test_plain_addresses_are_read_as_the_standard_parser_reads_them(field: str) -> None:
    """The fast path for "Name <a@b>" gives what email.utils.getaddresses gives."""
    addresses.cache_clear()
    assert addresses((field,)) == _parsed_by_the_standard_library(field)
