"""Mail that no person wrote: reports, alerts, notices, newsletters (SPEC §3 "never act on").

Zammad judges a mail's headers when it arrives (``is-auto-response``), but cron
and monitoring reports, invoices and notices often carry none of those headers.
What the webhook does carry, the sender, the subject and the text, is judged here.
Strong signs (a cron subject, a no-reply sender, "this message was generated
automatically") skip the message; a weak sign alone (an unsubscribe link, an
invoice subject) only keeps the client from getting a guidance reply, and says so.
A forwarded or replied-to report ("Fwd:", "AW:") was sent on by a person, and is
judged like any other message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from plugin.model import Message
from plugin.rules.channel import addresses
from plugin.text import decode_subject, strip_subject_prefixes, visible_text

# Local parts of senders that are programs, not people.
_MACHINE_SENDER = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|postmaster|mail[-_.]?daemon|"
    r"root|cron|crond|daemon|nagios|icinga\d?|zabbix|monitoring|monitor|alertmanager|alerts?|"
    r"grafana|prometheus|logwatch|backup|bounces?|notifications?|notify|notifier|automailer|"
    r"mailer|robot|system|sysadmin-robot|www-data|apache|nobody|newsletters?|news|billing|"
    r"invoices?|rechnung|facturation|factura|oracle|postgres|mysql|mssql|jenkins|gitlab|jira|"
    # Scan-to-mail and fax gateways of office printers.
    r"scanner|scan|scans|copier|mfp|fax|faxserver|printer)(?:[+-][^@]*+)?+$",
    re.IGNORECASE,
)
# Subjects that programs write: cron, anacron, logwatch, Nagios/Icinga, Alertmanager, Zabbix.
_MACHINE_SUBJECT = re.compile(
    r"^\s*+(?:cron\s++<|anacron\b|logwatch for\b|\*\*\s*+(?:problem|recovery|acknowledgement)\b|"
    r"(?:problem|resolved|recovery|ok|warning|critical)\s*+:\s*+\S++\s++(?:is|has)\b|"
    r"\[(?:firing|resolved)(?::\d++)?+\]|\[zabbix\]|\[jira\]|monit alert\b|check_mk:|"
    # Backup software's own reports: Veeam's "[Success] Backup job ...", "[Failed] ...".
    r"\[(?:success|warning|failed)\]\s|"
    # A spam filter's verdict written into the subject (SpamAssassin's "*****SPAM*****"),
    # and the "ADV:" label advertising mail must carry.
    r"\*{3,}\s*+spam\s*+\*{3,}|\[spam\]|\{spam\??\}|adv\s*+:|"
    # Read receipts (RFC 8098) and abuse reports (RFC 5965) in their usual subjects.
    r"disposition notification\b|(?:read|return) receipt\b|lesebestätigung\b|"
    r"accusé de lecture\b|confirmación de lectura\b|complaint about message from\b)",
    re.IGNORECASE,
)
# Found anywhere in a subject: a monitored state's change ("host.tld - UP -> DOWN",
# "web01 OK -> CRIT") and a sales mailing's discount ("60% off everything", "20 % Rabatt").
_MACHINE_SUBJECT_ANYWHERE = re.compile(
    r"\b(?:up|down|ok|warn|warning|crit|critical|unknown|unreachable)\s*+->\s*+"
    r"(?:up|down|ok|warn|warning|crit|critical|unknown|unreachable)\b|"
    r"(?<!\d)\d++\s*+%\s*+(?:off|rabatt|de réduction|de remise|descuento|desconto|korting)\b",
    re.IGNORECASE,
)
_GENERATED_TEXT = re.compile(
    r"\b(?:this (?:is an? )?(?:e-?mail|message|notification) (?:was|is|has been) "
    r"(?:automatically |auto-)?(?:generated|sent) (?:automatically|by)|"
    r"(?:automatically|auto)[- ]generated (?:e-?mail|message|notification|report)|"
    r"do not reply to this (?:e-?mail|message)|please do not reply|"
    r"diese (?:e-?mail|nachricht) wurde automatisch|automatisch (?:generiert|erstellt|versendet)|"
    r"bitte antworten sie nicht|ne pas répondre|message (?:généré|envoyé) automatiquement|"
    r"no responda a este|generado automáticamente|não responda|gerado automaticamente|"
    r"niet beantwoorden|automatisch gegenereerd|moenie antwoord nie|"
    # Fax gateways: "Sie haben soeben ein neues Fax ... empfangen", "You have received a fax".
    r"(?:ein )?neues fax von|you have (?:received )?a new fax|nouveau fax de|"
    # A read receipt's and an abuse report's own words.
    r"this is no guarantee that the message has been read|"
    r"this is an (?:e-?mail )?abuse report)",
    re.IGNORECASE,
)
_WEAK_SUBJECT = re.compile(
    r"\b(?:invoice|rechnung|facture|factura|fatura|factuur|faktuur|newsletter|"
    r"statement|receipt|quittung|reçu|recibo|report|bericht|rapport|informe|relatório|verslag)\b",
    re.IGNORECASE,
)
# A mailing's subject in Chinese marketing style: "【 直通美国排名第49大学 成功后付费 】".
_MAILING_SUBJECT = re.compile(r"^\s*+【[^】]*+】")
# Senders that are a company's sales or accounts department: their mail is an offer or a
# bill more often than a request, yet people write from them too, so this is a weak sign.
_ROLE_SENDER = re.compile(
    r"^(?:sales|marketing|accounting|accounts|buchhaltung|vertrieb|comptabilite|"
    r"comptabilité|contabilidad|contabilidade|boekhouding|facturacion|faturamento)"
    r"(?:[+-][^@]*+)?+$",
    re.IGNORECASE,
)
_UNSUBSCRIBE = re.compile(
    r"\b(?:unsubscribe|abmelden|abbestellen|désabonner|désinscri\w*+|darse de baja|"
    r"cancelar (?:a )?inscrição|descadastrar|afmelden|uitschrijven|uitteken|opt[- ]out|"
    r"to be removed(?: from)?)\b"
    # Chinese and Japanese: unsubscribe, stop delivery.
    r"|退订|取消订阅|配信停止|配信解除|購読解除",
    re.IGNORECASE,
)


# Words each of the text patterns above needs: a plain substring test is cheap, so the
# patterns only run over a text that has one of them.
_GENERATED_KEYS = (
    "guarantee",
    "abuse",
    "automat",
    "automát",
    "sent",
    "reply",
    "répondre",
    "responda",
    "antworten",
    "beantwoorden",
    "antwoord",
    "fax",
    "generat",
    "generad",
    "gerado",
    "gegenereerd",
)
_UNSUBSCRIBE_KEYS = (
    "subscri",
    "removed",
    "abmelden",
    "abbestellen",
    "désabonner",
    "désinscri",
    "baja",
    "inscrição",
    "descadastrar",
    "afmelden",
    "uitschrijven",
    "uitteken",
    "opt",
    "退订",
    "取消订阅",
    "配信",
    "購読",
)


def _mentions(lowered: str, keys: tuple[str, ...]) -> bool:
    return any(key in lowered for key in keys)


@dataclass(frozen=True, slots=True)
class MachineVerdict:
    """Why a message looks machine-written, and whether that is sure enough to skip it."""

    reason: str
    sure: bool


# The skip check and the reply decision both ask about the same message.
@lru_cache(maxsize=64)
def machine_verdict(message: Message) -> MachineVerdict | None:
    """A verdict when ``message`` looks like mail no person wrote for this desk, else None."""
    subject = decode_subject(message.subject)
    if strip_subject_prefixes(subject) != subject.strip():
        return None  # "Fwd: Cron <root@host>": a person sent it on
    for address in addresses((message.from_address or "",)):
        local = address.rsplit("@", 1)[0]
        if _MACHINE_SENDER.match(local):
            return MachineVerdict(f"sent by a program's address ({address})", sure=True)
    if _MACHINE_SUBJECT.match(subject) or _MACHINE_SUBJECT_ANYWHERE.search(subject):
        return MachineVerdict(f"a report or alert by its subject ('{subject}')", sure=True)
    # The whole visible text: "do not reply" and "unsubscribe" live in footers, which the
    # written text (what a person wrote this time) leaves out as a signature.
    text = visible_text(message.body, message.content_type)
    lowered = text.lower()
    generated = _mentions(lowered, _GENERATED_KEYS) and _GENERATED_TEXT.search(text)
    if generated:
        return MachineVerdict(f"says it was sent automatically ('{generated[0]}')", sure=True)
    signs = []
    weak = _WEAK_SUBJECT.search(subject) or _MAILING_SUBJECT.match(subject)
    if weak:
        signs.append(f"a notice, report or mailing by its subject ('{weak[0].strip()}')")
    for address in addresses((message.from_address or "",)):
        if _ROLE_SENDER.match(address.rsplit("@", 1)[0]):
            signs.append(f"sent from a sales or accounts address ({address})")
            break
    unsubscribe = _mentions(lowered, _UNSUBSCRIBE_KEYS) and _UNSUBSCRIBE.search(text)
    if unsubscribe:
        signs.append(f"a mailing by its text ('{unsubscribe[0]}')")
    if not signs:
        return None
    # One weak sign is often a person's own words ("the report you sent"); two are not.
    return MachineVerdict(" and ".join(signs), sure=len(signs) > 1)
