"""Mail text handling: subjects, HTML, quoted replies and signatures."""

from __future__ import annotations

import pytest

from plugin.text import decode_subject, html_to_text, strip_subject_prefixes, words, written_text


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Backup fails", "Backup fails"),
        ("RE: FW: Fwd: Backup fails", "Backup fails"),
        ("AW: WG: Drucker", "Drucker"),
        ("SV: VS: TR: Antw: RV: Odp: x", "x"),
        ("Re[2]: Backup", "Backup"),
        ("回复：服务器", "服务器"),  # noqa: RUF001 - full-width colon on purpose
        ("Re: [Ticket#10081] Webhook test", "Webhook test"),
        ("[Ticket#10081] Re: help", "help"),
        ("Re:", ""),
        ("Reboot loop on web01", "Reboot loop on web01"),  # "Re" inside a word is kept
        ("Research: quota", "Research: quota"),
        ("=?UTF-8?B?SGlsZmU=?=", "Hilfe"),
        ("Re: =?utf-8?q?Probl=C3=A8me?= ", "Problème"),
    ],
)
def test_strip_subject_prefixes(subject: str, expected: str) -> None:
    assert strip_subject_prefixes(subject) == expected


def test_decode_subject_keeps_text_that_is_not_encoded() -> None:
    assert decode_subject("  plain   text ") == "plain text"
    assert decode_subject(None) == ""
    assert decode_subject("=?bogus?X?zz?=") == "=?bogus?X?zz?="


def test_html_to_text_drops_quotes_scripts_and_keeps_blocks() -> None:
    html = (
        "<div>First line<br>second&nbsp;line</div><blockquote>old mail</blockquote>"
        "<script>x()</script><p>after &amp; more</p>"
    )
    text = html_to_text(html)
    assert "old mail" not in text and "x()" not in text
    assert text.split() == ["First", "line", "second", "line", "after", "&", "more"]


def test_html_stops_at_a_signature_or_quote_container() -> None:
    html = (
        "<p>The VPN drops every 10 minutes.</p>"
        '<span class="js-signatureMarker"></span><p>Thandi, IT manager</p>'
    )
    assert written_text(html, "text/html") == "The VPN drops every 10 minutes."
    gmail = '<div>New text</div><div class="gmail_quote">On Mon, X wrote: old</div>'
    assert written_text(gmail, "text/html") == "New text"


def test_written_text_removes_quoted_replies_and_signatures() -> None:
    body = (
        "The printer still jams.\n\n"
        "Kind regards,\nThandi Nkosi\nAcme Storage\n+27 11 555 0101\n\n"
        "On Tue, 3 Mar 2026 at 15:00, xstore support <support@xstore.example> wrote:\n"
        "> Please send the model number.\n"
    )
    assert written_text(body) == "The printer still jams."


@pytest.mark.parametrize(
    "separator",
    [
        "-----Original Message-----",
        "-------- Ursprüngliche Nachricht --------",
        "From: xstore support <support@xstore.example>",
        "Am 03.03.2026 um 15:00 schrieb xstore support:",
        "Le 3 mars 2026 à 15:00, xstore support a écrit :",
        "Em ter., 3 de mar. de 2026 às 15:00, xstore support escreveu:",
        "Il giorno mar 3 mar 2026 alle ore 15:00 xstore support ha scritto:",
        "Op 3 Maart 2026 om 15:00 het xstore support geskryf:",
        "De : xstore support <support@xstore.example>",
        "Da: xstore support <support@xstore.example>",
        "________________________________",
    ],
)
def test_written_text_stops_at_forward_and_reply_headers(separator: str) -> None:
    assert written_text(f"New words here.\n{separator}\nold words") == "New words here."


def test_a_sign_off_in_the_middle_of_a_long_message_is_kept() -> None:
    body = "Thanks,\n" + "\n".join(f"line {n} of the report" for n in range(12))
    assert written_text(body).startswith("Thanks,")


def test_a_reply_written_below_the_quote_is_kept() -> None:
    body = (
        "Am 03.03.2026 um 15:00 schrieb xstore support:\n"
        "> Welche Version ist installiert?\n"
        ">\n"
        "\n"
        "Version 2.4, auf dem Server srv-db01.\n"
    )
    assert written_text(body) == "Version 2.4, auf dem Server srv-db01."


def test_inline_replies_between_quoted_lines_are_kept() -> None:
    body = (
        "On Tue, 3 Mar 2026 at 15:00, xstore support wrote:\n"
        "> Which printer?\n"
        "The one on the 3rd floor.\n"
        "> Since when?\n"
        "Since Monday.\n"
    )
    assert written_text(body) == "The one on the 3rd floor.\nSince Monday."


def test_outlook_header_cuts_the_unquoted_earlier_message() -> None:
    body = "Still broken.\n\nFrom: xstore support\nSent: Tuesday\n\nPlease restart it."
    assert written_text(body) == "Still broken."


@pytest.mark.parametrize(
    "sign_off",
    [
        "Mit freundlichem Gruß",
        "Mit freundlichen Grüssen",
        "MfG",
        "Bien cordialement",
        "Un saludo",
        "Atenciosamente",
        "Met vriendelijke groet",
        "Vriendelike groete",
        "Best,",
    ],
)
def test_sign_offs_in_the_languages_clients_write(sign_off: str) -> None:
    body = f"Der Drucker druckt nicht.\n\n{sign_off}\nAnna Muster\nMuster AG"
    assert written_text(body) == "Der Drucker druckt nicht."


def test_a_long_signature_and_disclaimer_above_a_quote_are_cut() -> None:
    disclaimer = "\n".join(f"Disclaimer line {n}: this e-mail is confidential." for n in range(12))
    body = (
        "The VPN drops every 60 seconds.\n\nKind regards\nJane\nAcme\n\n"
        f"{disclaimer}\n\nOn Tue, 3 Mar 2026, xstore support wrote:\n> Hello"
    )
    assert written_text(body) == "The VPN drops every 60 seconds."


def test_a_name_under_a_sign_off_starts_the_signature_however_long() -> None:
    legal = "\n".join(f"Registered office line {n}" for n in range(12))
    body = f"Please reset the password of jane@acme.example.\n\nThanks,\nThandi Nkosi\n{legal}"
    assert written_text(body) == "Please reset the password of jane@acme.example."


def test_a_lotus_notes_quote_section_is_dropped() -> None:
    html = (
        "<font>Hallo.<br>Lass uns morgen telefonieren.</font><br>"
        '<div class="domino-section"><div class="domino-section-head">Von: support</div>'
        "<pre>Informationen zur Vorbereitung</pre></div>"
    )
    assert written_text(html, "text/html") == "Hallo.\nLass uns morgen telefonieren."


def test_mobile_signature_and_quote_lines() -> None:
    assert written_text("it doesnt work\n\nSent from my iPhone") == "it doesnt work"
    assert written_text("> quoted only\n>> more") == ""


def test_words() -> None:
    assert words("Can't reach 10.0.0.1 — error 0x80070005, see C:\\logs!") == [
        "Can't",
        "reach",
        "10.0.0.1",
        "error",
        "0x80070005",
        "see",
        "C",
        "logs",
    ]


def test_markup_the_html_parser_gives_up_on_is_stripped_not_fatal() -> None:
    """html.parser asserts on "<![ x" (CPython before 3.11.13): the body still reads."""
    assert html_to_text("<p>backup <b>fails</b> <![ x since Monday</p>").split() == [
        "backup",
        "fails",
        "<![",
        "x",
        "since",
        "Monday",
    ]
