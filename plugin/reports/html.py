"""The SLA compliance report as one HTML page: a table per client and tier, and two
charts, each with its table beside it so that a manager can check the numbers."""

from __future__ import annotations

from datetime import datetime, timedelta

import jinja2
from markupsafe import Markup

from plugin.reports.charts import met_and_breached_svg, response_times_svg
from plugin.reports.monthly import MonthlyReport

_TEMPLATES = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)

# The report itself, without a page around it: the admin console embeds this.
_SECTION = _TEMPLATES.from_string(
    """<section class="compliance-report">
<p>Times are business hours on each tier's clock; time spent waiting for the client
is not counted.{% if client %} Client: {{ client }}.{% endif %}</p>
<table class="compliance">
<tr><th>client</th><th>tier</th><th>tickets</th><th>in time</th><th>late</th>
<th>unanswered</th><th>median</th><th>90th percentile</th><th>waiting</th><th>breached</th></tr>
{% for row in rows %}<tr><td>{{ row.client }}</td><td>{{ row.tier }}</td><td>{{ row.tickets }}</td>
<td>{{ row.in_time }}</td><td>{{ row.late }}</td><td>{{ row.unanswered }}</td>
<td>{{ hours(row.median_response) }}</td><td>{{ hours(row.p90_response) }}</td>
<td>{{ hours(row.waiting) }}</td><td>{{ row.breached | join(", ") or "none" }}</td></tr>
{% else %}<tr><td colspan="10">no tickets with a clock this month</td></tr>{% endfor %}
</table>
<h2>Met and breached by month</h2>
<div class="chart" id="met-and-breached">{{ by_month_svg }}
<table><tr><th>month</th><th>met</th><th>breached</th></tr>
{% for label, met, breached in by_month %}<tr><td>{{ label }}</td><td>{{ met }}</td>
<td>{{ breached }}</td></tr>{% endfor %}</table></div>
<h2>Time to first response, {{ month }}</h2>
<div class="chart" id="response-times">{{ histogram_svg }}
<table><tr><th>business hours</th><th>tickets</th></tr>
{% for label, count in histogram %}<tr><td>{{ label }}</td><td>{{ count }}</td></tr>{% endfor %}
</table></div>
</section>"""
)

_PAGE = _TEMPLATES.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>SLA compliance {{ month }} - {{ company }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
.chart { display: flex; gap: 2rem; align-items: flex-start; flex-wrap: wrap; }
.chart svg { max-width: 40rem; height: auto; }
</style></head><body>
<h1>SLA compliance, {{ month }}</h1>
<p>{{ company }}; made {{ made }}.</p>
{{ section }}
</body></html>
"""
)


def report_section(report: MonthlyReport) -> Markup:
    """The report's tables and charts as an HTML fragment; the charts are SVG this
    process drew, the rest is escaped."""
    return Markup(  # noqa: S704 - rendered by an autoescaping environment
        _SECTION.render(
            month=report.month,
            client=report.client,
            rows=report.rows,
            by_month=report.by_month,
            histogram=report.histogram,
            hours=_hours_text,
            # Drawn here by matplotlib from numbers, never from text a client wrote.
            by_month_svg=Markup(met_and_breached_svg(report.by_month)),  # noqa: S704
            histogram_svg=Markup(response_times_svg(report.histogram)),  # noqa: S704
        )
    )


def report_page(report: MonthlyReport, *, company: str, made: datetime) -> str:
    """The report as a whole HTML page, for ``ticket-warden report --format html``."""
    return _PAGE.render(
        company=company,
        month=report.month,
        made=made.strftime("%Y-%m-%d %H:%M %Z"),
        section=report_section(report),
    )


def _hours_text(value: timedelta | None) -> str:
    return "" if value is None else f"{value.total_seconds() / 3600:.1f} h"
