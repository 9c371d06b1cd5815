"""Prometheus metrics, one registry per runtime (so tests and apps never share counters).

Names follow Prometheus conventions: ``ticket_warden_`` prefix, ``_total`` for
counters, seconds for durations. Labels are bounded: outcomes, tags, HTTP
status codes and API path templates (ids replaced), never ticket data.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_ID = re.compile(r"/\d+(?=/|$)")


def path_template(path: str) -> str:
    """An API path with ids replaced, e.g. ``/api/v1/tickets/{id}`` (bounded label values)."""
    return _ID.sub("/{id}", path.split("?", 1)[0])


class Metrics:
    """Every metric ticket-warden exports."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.webhooks = Counter(
            "ticket_warden_webhooks_total",
            "Webhooks received, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "ticket_warden_decisions_total",
            "Decisions made, by outcome (applied, skipped, failed).",
            ["outcome"],
            registry=self.registry,
        )
        self.decision_tags = Counter(
            "ticket_warden_decision_tags_total",
            "Tags in the decisions made, by tag.",
            ["tag"],
            registry=self.registry,
        )
        self.helpdesk_calls = Histogram(
            "ticket_warden_helpdesk_call_seconds",
            "Helpdesk API calls and their latency, by method, path template and status.",
            ["method", "path", "status"],
            registry=self.registry,
        )
        self.sla_events = Counter(
            "ticket_warden_sla_events_total",
            "SLA clock events the worker's periodic task recorded, by event (reminded, "
            "closed, warned, breached, first-response).",
            ["event"],
            registry=self.registry,
        )
        self.retries = Counter(
            "ticket_warden_retries_total",
            "Deliveries queued again after a helpdesk failure.",
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "ticket_warden_queue_depth",
            "Deliveries answered 2xx and not yet finished.",
            registry=self.registry,
        )

        self.dead = Gauge(
            "ticket_warden_dead_deliveries",
            "Deliveries given up on (ticket-warden requeue DELIVERY tries one again).",
            registry=self.registry,
        )

    def watch_queue(self, depth: Callable[[], int], dead: Callable[[], int]) -> None:
        """Report the queue depth and the dead deliveries by asking at each scrape."""
        self.queue_depth.set_function(depth)
        self.dead.set_function(dead)

    def observe_call(self, method: str, path: str, status: str, seconds: float) -> None:
        self.helpdesk_calls.labels(method, path_template(path), status).observe(seconds)

    def exposition(self) -> bytes:
        """The text format a Prometheus server scrapes."""
        return bytes(generate_latest(self.registry))
