"""The SLA compliance report as one HTML page: a table per client and tier, and two
charts, each with its table beside it so that a manager can check the numbers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import jinja2
from markupsafe import Markup

from plugin.reports.charts import met_and_breached_svg, response_times_svg
from plugin.reports.compliance import RESPONSE_BINS, ComplianceRow

_PAGE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
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
<p>{{ company }}; made {{ made }}. Times are business hours on each tier's clock; time
spent waiting for the client is not counted.</p>
<table>
<tr><th>client</th><th>tier</th><th>tickets</th><th>in time</th><th>late</th>
<th>unanswered</th><th>median</th><th>90th percentile</th><th>waiting</th><th>breached</th></tr>
{% for row in rows %}<tr><td>{{ row.client }}</td><td>{{ row.tier }}</td><td>{{ row.tickets }}</td>
<td>{{ row.in_time }}</td><td>{{ row.late }}</td><td>{{ row.unanswered }}</td>
<td>{{ hours(row.median_response) }}</td><td>{{ hours(row.p90_response) }}</td>
<td>{{ hours(row.waiting) }}</td><td>{{ row.breached | join(", ") or "none" }}</td></tr>
{% else %}<tr><td colspan="10">no tickets with a clock this month</td></tr>{% endfor %}
</table>
<h2>Met and breached by month</h2>
<div class="chart">{{ by_month_svg }}
<table><tr><th>month</th><th>met</th><th>breached</th></tr>
{% for label, met, breached in by_month %}<tr><td>{{ label }}</td><td>{{ met }}</td>
<td>{{ breached }}</td></tr>{% endfor %}</table></div>
<h2>Time to first response, {{ month }}</h2>
<div class="chart">{{ histogram_svg }}
<table><tr><th>business hours</th><th>tickets</th></tr>
{% for label, count in histogram %}<tr><td>{{ label }}</td><td>{{ count }}</td></tr>{% endfor %}
</table></div>
</body></html>
"""
)


def report_page(
    *,
    company: str,
    month: str,
    rows: Sequence[ComplianceRow],
    by_month: Sequence[tuple[str, int, int]],
    response_hours: Sequence[float],
    histogram: Sequence[tuple[str, int]],
    made: datetime,
) -> str:
    """The page; the charts are SVG this process drew, the rest is escaped."""
    return _PAGE.render(
        company=company,
        month=month,
        rows=rows,
        by_month=by_month,
        histogram=histogram,
        made=made.strftime("%Y-%m-%d %H:%M %Z"),
        hours=lambda value: "" if value is None else f"{value.total_seconds() / 3600:.1f} h",
        # Drawn here by matplotlib from numbers, never from text a client wrote.
        by_month_svg=Markup(met_and_breached_svg(by_month)),  # noqa: S704
        histogram_svg=Markup(  # noqa: S704
            response_times_svg(response_hours, [*RESPONSE_BINS, max([*response_hours, 48.0])])
        ),
    )
