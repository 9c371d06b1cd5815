"""The backtest as HTML: a whole page for the CLI, a section for the admin console.

Both render the result's JSON form (what ``Store.last_backtest`` returns), so the
page, the console and the JSON show the same figures. Plain tables and a little
CSS scoped to the section; no JavaScript. Every value is escaped, reply texts too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import jinja2
from markupsafe import Markup

from plugin.reports.backtest import RESULT_VERSION, BacktestResult, SlaOutcome, stored_result

# Long lists (replies, breaches) show this many rows on the page; the JSON has them all.
# The changes between two policies are always listed whole: they are the point.
ROWS_SHOWN = 200

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)

_SECTION = _ENV.from_string(
    """<section class="backtest">
<style>
.backtest table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
.backtest th, .backtest td { border: 1px solid #ccc; padding: 0.25rem 0.6rem;
  text-align: left; vertical-align: top; }
.backtest td.n, .backtest th.n { text-align: right; }
.backtest .added { color: #1a6b1a; } .backtest .removed { color: #a11; }
.backtest pre { white-space: pre-wrap; margin: 0.3rem 0; max-width: 60rem; }
</style>
{% if r is none %}<p>The stored backtest was made by another version of ticket-warden
(its format is not version {{ version }}): run <code>ticket-warden backtest</code> again.</p>
{% else %}
<h2>Backtest of {{ r.policy }}</h2>
<p>Tickets created from {{ when(r.since) }} to {{ when(r.made_at) }} ({{ r.window }},
{{ r.timezone }}), each judged on its first customer message as it arrived; nothing was
written.{% if r.against %} Compared with <strong>{{ r.against }}</strong>.{% endif %}</p>
<table>
<tr><th>tickets examined</th><td class="n">{{ r.examined }}</td></tr>
<tr><th>replayed</th><td class="n">{{ r.replayed }}</td></tr>
<tr><th>not replayed</th><td class="n">{{ r.not_replayed | length }}</td></tr>
<tr><th>replies that would have gone out</th><td class="n">{{ r.totals.replies }}</td></tr>
{% if r.seconds is not none %}<tr><th>seconds</th><td class="n">{{ r.seconds }}</td></tr>
{% endif %}</table>
{% if r.limit_reached %}<p><strong>The window held more tickets than the limit: only the
first {{ r.examined }} were read.</strong></p>{% endif %}

<h3>Tags each ticket would have carried</h3>
<table><tr><th>tag</th><th class="n">tickets</th>{% if against %}
<th class="n">under {{ r.against }}</th><th class="n">change</th>{% endif %}</tr>
{% for tag in tags %}<tr><td>{{ tag }}</td><td class="n">{{ r.totals.tags.get(tag, 0) }}</td>
{% if against %}<td class="n">{{ against.tags.get(tag, 0) }}</td>
<td class="n">{{ signed(r.totals.tags.get(tag, 0) - against.tags.get(tag, 0)) }}</td>{% endif %}
</tr>{% else %}<tr><td colspan="4">no ticket replayed</td></tr>{% endfor %}
</table>
{% if r.totals.skipped %}<p>Skipped (nothing would have been written):
{% for reason, count in r.totals.skipped.items() %}{{ reason }}: {{ count
}}{{ "; " if not loop.last else "" }}{% endfor %}</p>{% endif %}

<h3>Due dates against the first responses that happened</h3>
<p>Met: an agent first answered by the due date. Breached: later, or not yet and the due
date has passed. Open: not answered and not yet due.</p>
<table><tr><th>tier</th>{% for outcome in outcomes %}<th class="n">{{ outcome }}</th>
{% endfor %}</tr>
{% for tier, counts in r.sla_by_tier.items() %}<tr><td>{{ tier }}</td>
{% for outcome in outcomes %}<td class="n">{{ counts.get(outcome, 0) }}</td>{% endfor %}</tr>
{% endfor %}<tr><th>all</th>{% for outcome in outcomes %}
<th class="n">{{ r.totals.sla.get(outcome, 0) }}</th>{% endfor %}</tr>
{% if against %}<tr><th>all, under {{ r.against }}</th>{% for outcome in outcomes %}
<th class="n">{{ against.sla.get(outcome, 0) }}</th>{% endfor %}</tr>{% endif %}
</table>
{% if breached %}<table><tr><th>breached ticket</th><th>tier</th><th>due</th>
<th>first response</th></tr>
{% for t in breached[:shown] %}<tr><td>#{{ t.number }} {{ t.title }}</td><td>{{ t.tier }}</td>
<td>{{ when(t.due_at) }}</td><td>{{ when(t.first_response_at) or "none yet" }}</td></tr>
{% endfor %}</table>{{ more(breached) }}{% endif %}

{% if r.changes is not none %}
<h3>What changes from {{ r.against }} to {{ r.policy }}</h3>
{% if r.changes %}
<p>{{ r.changes | length }} of {{ r.replayed }} tickets would be treated differently.</p>
<table><tr><th>ticket</th><th>tags added</th><th>tags removed</th><th>priority</th>
<th>due date</th><th>reply</th><th>other</th></tr>
{% for c in r.changes %}<tr><td>#{{ c.number }} {{ c.title }}</td>
<td class="added">{{ c.tags_added | join(", ") }}</td>
<td class="removed">{{ c.tags_removed | join(", ") }}</td>
<td>{{ pair(c.priority) }}</td><td>{{ pair(c.due_at, when) }}</td><td>{{ pair(c.reply) }}</td>
<td>{% if c.close %}close: {{ pair(c.close) }} {% endif %}{% if c.skipped %}skipped:
{{ pair(c.skipped) }}{% endif %}</td></tr>
{% endfor %}</table>
{% else %}<p>No ticket's decision differs.</p>{% endif %}
{% endif %}

<h3>Replies that would have gone out</h3>
{% if r.replies %}<table><tr><th>reasons</th><th class="n">replies</th></tr>
{% for reasons, count in reply_kinds %}<tr><td>{{ reasons }}</td><td class="n">{{ count }}</td>
</tr>{% endfor %}</table>
<table><tr><th>ticket</th><th>to</th><th>reasons</th><th>text</th></tr>
{% for reply in r.replies[:shown] %}<tr><td>#{{ reply.number }} {{ reply.title }}</td>
<td>{{ reply.channel }}: {{ reply.to }}</td><td>{{ reply.reasons | join(", ") }}</td>
<td><details><summary>{{ reply.subject }}</summary><pre>{{ reply.text }}</pre></details></td>
</tr>{% endfor %}</table>{{ more(r.replies) }}
{% else %}<p>None.</p>{% endif %}

{% if r.not_replayed %}<h3>Not replayed</h3>
<table><tr><th>ticket</th><th>why</th></tr>
{% for t in r.not_replayed[:shown] %}<tr><td>#{{ t.number }}</td><td>{{ t.reason }}</td></tr>
{% endfor %}</table>{{ more(r.not_replayed) }}{% endif %}
{% endif %}
</section>
"""
)

_PAGE = _ENV.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Backtest{% if policy %} of {{ policy }}{% endif %} - ticket-warden</title>
<style>body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }</style>
</head><body>
<h1>ticket-warden backtest</h1>
{{ section }}
</body></html>
"""
)


def backtest_section(result: BacktestResult | Mapping[str, Any] | None) -> Markup:
    """The backtest as an HTML fragment (no <html> or <body>) for a page of the console;
    takes what ``Store.last_backtest`` returns, or a result just made."""
    data = stored_result(result.to_json() if isinstance(result, BacktestResult) else result)
    if data is None:
        # Autoescaped template: its output is safe markup.
        return Markup(_SECTION.render(r=None, version=RESULT_VERSION))  # noqa: S704
    against = data["against_totals"]
    tags = list(data["totals"]["tags"])
    if against:
        tags += [tag for tag in against["tags"] if tag not in data["totals"]["tags"]]
    breached = [t for t in data["tickets"] if t["sla"] == SlaOutcome.BREACHED.value]
    kinds = Counter(", ".join(reply["reasons"]) for reply in data["replies"])
    html = _SECTION.render(
        r=data,
        against=against,
        tags=tags,
        outcomes=[outcome.value for outcome in SlaOutcome],
        breached=breached,
        reply_kinds=kinds.most_common(),
        shown=ROWS_SHOWN,
        when=_when,
        signed=lambda n: f"{n:+d}" if n else "0",
        pair=_pair,
        more=_more,
    )
    return Markup(html)  # noqa: S704


def backtest_page(result: BacktestResult | Mapping[str, Any]) -> str:
    """The backtest as a whole HTML page (the CLI's ``--format html``)."""
    data = result.to_json() if isinstance(result, BacktestResult) else result
    return _PAGE.render(policy=data.get("policy"), section=backtest_section(data))


def _when(value: Any) -> str:
    """An ISO time as 'YYYY-MM-DD HH:MM' in the zone it carries; '' for none."""
    if not value:
        return ""
    try:
        return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)


def _pair(values: Mapping[str, Any] | None, show: Any = None) -> str:
    if not values:
        return ""

    def text(value: Any) -> str:
        if show is not None:
            return str(show(value)) or "none"
        return "none" if value is None else str(value)

    return f"{text(values['current'])} → {text(values['new'])}"


def _more(rows: list[Any]) -> Markup:
    hidden = len(rows) - ROWS_SHOWN
    if hidden <= 0:
        return Markup("")
    return Markup("<p>and {} more (the JSON output lists them all)</p>").format(hidden)
