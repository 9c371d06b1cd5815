"""What a client typed into a web or issue form, without the form's own lines.

Requests from a form ("Request ID: DTS23-110550", "User Agent: Mozilla/5.0 ...",
"## What's the problem?", "- [ ] A feature request") carry numbers and headings the
client never wrote. Read as the client's, they make "Not working" look like a detailed
report. The labels of fields that forms fill in are data (``forms.yaml``).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml

# "Label: value": a label of at most four words, without digits, then the value.
_FIELD = re.compile(
    r"^[^\S\n]*+(?:[-*][^\S\n]++)?+\**+([^\W\d_](?:[^\W\d_]|[ '/-]){0,40}?)\**+:\**+"
    r"[^\S\n]*+(.*)$"
)
# A line that only prompts: a heading, an unticked box, a rule, or a label with no value.
_SCAFFOLD = re.compile(
    r"^[^\S\n]*+(?:#{1,6}[^\S\n]|[-*][^\S\n]++\[[^\S\n]?\][^\S\n]|[-=~_*`]{3,}[^\S\n]*+$"
    r"|\d{1,2}[.)][^\S\n]++[^:\n]{1,60}:[^\S\n]*+$)"
)

# The characters a line _SCAFFOLD matches can start with (after blanks): most lines start
# with none of them and need no matching.
_SCAFFOLD_STARTS = frozenset("#-*=~_`0123456789")


@cache
def metadata_labels() -> frozenset[str]:
    """Labels of form fields whose value the client did not write."""
    text = resources.files("plugin.language").joinpath("forms.yaml").read_text("utf-8")
    return frozenset(str(label) for label in yaml.safe_load(text)["metadata_labels"])


def without_form_scaffolding(text: str) -> str:
    """``text`` without headings, unticked boxes, rules, empty fields and fields a form
    fills in itself; a filled field keeps only its value ("Description: Not working")."""
    kept = []
    labels = metadata_labels()
    for line in text.splitlines():
        start = line.lstrip()[:1]
        if start and start in _SCAFFOLD_STARTS and _SCAFFOLD.match(line):
            continue
        field = _FIELD.match(line) if ":" in line else None
        if field is None or len(field[1].split()) > 4:
            kept.append(line)
            continue
        label = " ".join(field[1].lower().split())
        if label not in labels and field[2].strip():
            kept.append(field[2])
    return "\n".join(kept)
