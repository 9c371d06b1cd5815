"""The policy's Jinja2 texts, compiled once and checked against sample values.

Reply bodies and reason paragraphs are HTML with every value escaped; the
reply subject and the internal note are plain text. Undefined names are
errors, found when the policy is loaded (by a dry render) rather than when a
customer is waiting for a reply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import jinja2
from markupsafe import Markup

from plugin.errors import TemplateCheckError

_HTML = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True)
# Plain text (reply subject, internal note): nothing to escape, and escaping would garble it.
_TEXT = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, trim_blocks=True)

# Names every reply text may use, with sample values for the dry render.
REPLY_SAMPLE: dict[str, Any] = {
    "company": "xstore",
    "customer_name": "Emily Adams",
    "ticket_number": "10081",
    "ticket_title": "Backup job fails on fileserver01",
    "subject": "Backup job fails on fileserver01",
    "ticket_address": "support@xstore.example",
    "channel": "whatsapp message",
    "next_opening": "Mon 2026-03-09 08:00 SAST",
    "tier_label": "Gold SLA",
    "guaranteed": True,
    "close": True,
    "links": {"efficient_request": "https://x.example/a", "terms": "https://x.example/t"},
}
# Names the internal note may use.
NOTE_SAMPLE: dict[str, Any] = {
    "tier": "gold",
    "tier_label": "Gold SLA",
    "client": "Acme Storage",
    "client_reason": "email domain 'acme.example'",
    "priority_request": True,
    "priority": "3 high",
    "due_at": "Tue 2026-03-03 19:00 SAST",
    "clock": "24x7",
    "guaranteed": True,
    "no_due_reason": "",
    "findings": [{"tag": "vague-subject", "reason": "the subject is empty"}],
    "replied": ["vague-subject"],
    "untold": [],
    "close": False,
}


@dataclass(frozen=True)
class CompiledTemplates:
    """Ready-to-render reply subject, reply body, reason paragraphs and note."""

    reply_subject: jinja2.Template
    reply_body: jinja2.Template
    reasons: Mapping[str, jinja2.Template]
    note: jinja2.Template

    def paragraph(self, reason: str, context: Mapping[str, Any]) -> Markup:
        """One reason paragraph, escaped HTML, whitespace folded."""
        # Rendered by the autoescaping environment, so already safe HTML.
        return Markup(" ".join(self.reasons[reason].render(context).split()))  # noqa: S704

    def reply(self, reasons: list[Markup], context: Mapping[str, Any]) -> tuple[str, str]:
        """The reply's subject (plain text, one line) and body (HTML)."""
        subject = " ".join(self.reply_subject.render(context).split())
        body = self.reply_body.render({**context, "reasons": reasons}).strip()
        return subject, body

    def render_note(self, context: Mapping[str, Any]) -> str:
        """The internal note, without blank lines."""
        lines = self.note.render(context).splitlines()
        return "\n".join(line.rstrip() for line in lines if line.strip())


def compile_templates(
    reply_subject: str, reply_body: str, reasons: Mapping[str, str], note: str
) -> CompiledTemplates:
    """Compile and dry-render every text; raises ``TemplateCheckError`` naming each bad one."""
    problems: list[str] = []
    broken: set[str] = set()

    def build(key: str, environment: jinja2.Environment, text: str) -> jinja2.Template:
        try:
            return environment.from_string(text)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(f"{key}: line {exc.lineno}: {exc.message}")
            broken.add(key)
            return environment.from_string("")

    compiled = CompiledTemplates(
        reply_subject=build("reply_subject", _TEXT, reply_subject),
        reply_body=build("reply_body", _HTML, reply_body),
        reasons={key: build(f"reasons.{key}", _HTML, text) for key, text in reasons.items()},
        note=build("note", _TEXT, note),
    )
    checks: list[tuple[str, Callable[[], object]]] = [
        ("reply_subject", partial(compiled.reply, [], REPLY_SAMPLE)),
        ("reply_body", partial(compiled.reply, [Markup("x")], REPLY_SAMPLE)),
        ("note", partial(compiled.render_note, NOTE_SAMPLE)),
    ]
    checks += [
        (f"reasons.{key}", partial(compiled.paragraph, key, REPLY_SAMPLE)) for key in reasons
    ]
    for key, render in checks:
        if key in broken:
            continue
        try:
            render()
        except jinja2.TemplateError as exc:
            problems.append(f"{key}: {exc}")
    if problems:
        raise TemplateCheckError("; ".join(problems))
    return compiled
