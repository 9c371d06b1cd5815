"""Finding customer messages whose webhook never arrived (Zammad gave up during an outage).

Zammad retries a webhook five times over about two minutes, then drops it. A
ticket ticket-warden never handled carries none of the policy's tier tags; for
each such ticket in the window this rebuilds the webhook payload Zammad would
have sent (ticket, customer, organization, latest customer article) so the
ordinary executor can apply it. Everything here reads; applying is the caller's.

Tickets are found with a search by selector ``condition`` and no full-text query:
Zammad then searches its database whether or not Elasticsearch runs (``CanSearch``
uses the index only for a query; ``app/models/ticket/search.rb``). A query such
as ``created_at:>now-30m`` is Elasticsearch syntax: without it Zammad matches the
text against titles and articles and silently finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from plugin.policy import Policy
from plugin.zammad.client import ZammadClient
from plugin.zammad.payload import ZammadPayload, parse_payload

_DURATION = re.compile(r"^\s*(\d+)\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_window(text: str) -> timedelta:
    """'90m', '24h' or '7d' as a timedelta; raises ValueError for anything else."""
    match = _DURATION.match(text)
    if not match or int(match[1]) == 0:
        raise ValueError(f"'{text}' is not a window like 90m, 24h or 7d")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


# Zammad's search answers at most 200 tickets a page (paginate_with(max: 200)).
PAGE_SIZE = 200
SEARCH_PATH = "database search by condition (works with or without Elasticsearch)"


def created_within(window: timedelta) -> dict[str, Any]:
    """The selector for tickets created in the last ``window`` (lib/selector/sql.rb:
    'within last (relative)' is created_at BETWEEN now - N AND now)."""
    minutes = max(1, int(window.total_seconds() // 60))
    return {
        "ticket.created_at": {
            "operator": "within last (relative)",
            "value": minutes,
            "range": "minute",
        }
    }


def tickets_created_within(
    client: ZammadClient, window: timedelta, *, limit: int
) -> Iterator[dict[str, Any]]:
    """Every ticket created in ``window``, oldest first, page after page, at most ``limit``."""
    condition = created_within(window)
    seen = 0
    page = 1
    while seen < limit:
        tickets = client.search_by_condition(condition, page=page, per_page=PAGE_SIZE)
        yield from tickets[: limit - seen]
        seen += len(tickets)
        if len(tickets) < PAGE_SIZE:
            return
        page += 1


def missed_payloads(
    client: ZammadClient, policy: Policy, window: timedelta, *, limit: int = 5000
) -> Iterator[tuple[int, ZammadPayload | None]]:
    """Each ticket of the window: its id and, when never handled, the payload to apply."""
    tier_tags = {policy.tier_tag(name) for name in policy.tiers}
    for ticket in tickets_created_within(client, window, limit=limit):
        ticket_id = int(ticket["id"])
        if tier_tags & set(client.tags(ticket_id)):
            yield ticket_id, None
            continue
        yield ticket_id, _payload(client, ticket)


def _payload(client: ZammadClient, ticket: dict[str, Any]) -> ZammadPayload | None:
    articles = client.articles(int(ticket["id"]))
    from_customer = customer_articles(articles)
    if not from_customer:
        return None
    customer = client.user(int(ticket["customer_id"])) if ticket.get("customer_id") else None
    organization_id = ticket.get("organization_id")
    organization = client.organization(int(organization_id)) if organization_id else None
    return rebuild_payload(ticket, articles, from_customer[-1], customer, organization)


def customer_articles(articles: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The public articles a customer wrote, in the order given."""
    return [
        article
        for article in articles
        if str(article.get("sender", "")).lower() == "customer" and not article.get("internal")
    ]


def rebuild_payload(
    ticket: Mapping[str, Any],
    articles: Sequence[Mapping[str, Any]],
    article: Mapping[str, Any],
    customer: Mapping[str, Any] | None,
    organization: Mapping[str, Any] | None,
) -> ZammadPayload:
    """The webhook payload Zammad sends for ``article`` on the expanded ``ticket`` when
    ``articles`` are the ticket's articles so far; raises PayloadError for odd data."""
    rebuilt = dict(ticket)
    # Expanded tickets name their relations; the webhook payload carries objects.
    rebuilt["customer"] = dict(customer) if customer is not None else None
    rebuilt["organization"] = dict(organization) if organization is not None else None
    rebuilt["article_count"] = len(articles)
    rebuilt["article_ids"] = [int(item["id"]) for item in articles]
    return parse_payload({"ticket": rebuilt, "article": dict(article)})
