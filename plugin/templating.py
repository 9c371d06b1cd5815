"""The policy's Jinja2 texts, compiled once and checked against sample values.

Reply bodies and reason paragraphs are HTML with every value escaped; the
reply subject and the internal note are plain text. Undefined names are
errors, found when the policy is loaded (by a dry render) rather than when a
customer is waiting for a reply.

A policy is data, not code: `check` runs on proposed policies (in CI, say), so
every text is rendered in Jinja's immutable sandbox, which refuses attributes
that start with ``_`` (``__globals__``, ``__class__``...) and calls that mutate.
Such names are refused before rendering too, so a branch the dry render does
not take cannot hide one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from plugin.errors import TemplateCheckError

_HTML = ImmutableSandboxedEnvironment(
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True
)
# Plain text (reply subject, internal note): nothing to escape, and escaping would garble it.
_TEXT = ImmutableSandboxedEnvironment(
    autoescape=False, undefined=jinja2.StrictUndefined, trim_blocks=True
)

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
    "doubts": [{"tag": "meeting-request", "reason": "the message mentions a call"}],
    "quiet": "",
    "replied": ["vague-subject"],
    "untold": [],
    "close": False,
    # The message's length when the rules read only its first text_limit characters.
    "truncated": 48_213,
    "text_limit": 20_000,
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
            tree = environment.parse(text)
            private = [
                f"{key}: line {line}: '{name}' is not allowed (a template may not use names "
                "that start with '_')"
                for line, name in _private_names(tree)
            ]
            if not private:
                return environment.from_string(tree)
            problems.extend(private)
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
    # The subject and the body apart, so that each mistake is told under its own name.
    checks: list[tuple[str, Callable[[], object]]] = [
        ("reply_subject", partial(compiled.reply_subject.render, REPLY_SAMPLE)),
        ("reply_body", partial(compiled.reply_body.render, REPLY_SAMPLE, reasons=[Markup("x")])),
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
        except jinja2.TemplateError as exc:  # SecurityError too: the sandbox refused something
            problems.append(f"{key}: {exc}")
        except Exception as exc:  # e.g. {{ 1/0 }}: the text is at fault, not the caller
            problems.append(f"{key}: the sample render fails: {type(exc).__name__}: {exc}")
    if problems:
        raise TemplateCheckError("; ".join(problems))
    return compiled


def _private_names(tree: nodes.Template) -> Iterator[tuple[int, str]]:
    """Line and name of every ``x._name``, ``x['_name']`` and ``x|attr('_name')`` in ``tree``."""
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        name: object
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
            name = node.args[0].value if isinstance(node.args[0], nodes.Const) else None
        else:
            continue
        if isinstance(name, str) and name.startswith("_"):
            yield node.lineno, name
