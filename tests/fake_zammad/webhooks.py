"""Webhook payloads and their delivery, as Zammad's TriggerWebhookJob makes them.

The payload follows ``app/jobs/trigger_webhook_job/record_payload/*.rb`` (the
default, non-custom payload); the delivery follows ``app/jobs/trigger_webhook_job.rb``
(ActiveJob ``retry_on``: 5 attempts, waits of 10/20/30/40 s) and
``lib/user_agent.rb`` (headers, HMAC-SHA1 signature, no redirects, 2xx only).
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.fake_zammad import rails, seeds

__all__ = [
    "USER_ATTRIBUTE_BLACKLIST",
    "Attempt",
    "JobRequest",
    "WebhookSender",
    "attributes_with_association_names",
    "record_payload",
    "webhook_body",
]

# app/jobs/trigger_webhook_job/record_payload/base.rb USER_ATTRIBUTE_BLACKLIST
USER_ATTRIBUTE_BLACKLIST = frozenset(
    {
        "last_login",
        "login_failed",
        "password",
        "preferences",
        "group_ids",
        "groups",
        "authorization_ids",
        "authorizations",
    }
)
# app/models/application_model/can_associations.rb filter_attributes
_FORBIDDEN = ("password", "token", "tokens", "token_ids")
# app/jobs/trigger_webhook_job/record_payload/ticket.rb ASSOCIATIONS, in Ticket's
# reflection order (app/models/ticket.rb: group, organization, ..., state, priority, owner, ...)
TICKET_ASSOCIATIONS = (
    "group",
    "organization",
    "priority",
    "owner",
    "customer",
    "created_by",
    "updated_by",
)
# app/jobs/trigger_webhook_job/record_payload/ticket/article.rb ASSOCIATIONS
ARTICLE_ASSOCIATIONS = ("created_by", "updated_by")
# db/seeds/roles.rb (guess: the fake's users carry role_ids, not role names)
_ROLES = {1: "Admin", 2: "Agent", 3: "Customer"}

Names = Callable[[str, Any], Any]


def _find(table: Mapping[Any, Any], ident: Any) -> Any:
    """The row with id ``ident`` (None for a NULL id or a missing row)."""
    return table.get(ident) if ident is not None else None


def attributes_with_association_names(
    record: Mapping[str, Any], *, names: Names, has_many: Mapping[str, Sequence[Any]] | None = None
) -> dict[str, Any]:
    """``ApplicationModel::CanAssociations#attributes_with_association_names``.

    ``names(association, id)`` gives the login (users) or name of a belongs_to
    record, or None when Zammad adds no key (no such record, no login/name: e.g.
    an article's ticket). Every ``<x>_id`` key is offered. ``has_many`` maps an
    association (``"articles"``) to the logins/names of its records, None for
    records without one: the ``<x>_ids`` key is the caller's; the names key is
    dropped when records exist but none has a name, and kept as ``[]`` when there
    are no records at all.
    """
    attributes = dict(record)
    for key, value in record.items():
        if key == "id" or not key.endswith("_id") or value is None:
            continue
        shown = names(key[: -len("_id")], value)
        if shown is not None:
            attributes[key[: -len("_id")]] = shown
    for association, labels in (has_many or {}).items():
        shown_labels = [label for label in labels if label]
        if labels and not shown_labels:
            attributes.pop(association, None)
        else:
            attributes[association] = shown_labels
    for key in _FORBIDDEN:
        attributes.pop(key, None)
    return attributes


def record_payload(
    record: Mapping[str, Any] | None,
    *,
    names: Names,
    associations: Mapping[str, Mapping[str, Any] | None],
    has_many: Mapping[str, Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """``TriggerWebhookJob::RecordPayload::Base#generate`` for one record.

    The record's attributes with association names, keys sorted; then each of
    ``associations`` (in the model's reflection order) replaced by the full
    associated payload, or ``{}``. A key the sorted hash already holds keeps its
    place; a new one (no name was shown, e.g. no organization) goes last.
    """
    if not record:  # app/jobs/trigger_webhook_job/record_payload.rb: {} if record.blank?
        return {}
    attributes = attributes_with_association_names(record, names=names, has_many=has_many)
    result = dict(sorted(attributes.items()))
    for association, associated in associations.items():
        result[association] = dict(associated) if associated else {}
    return result


def _user_payload(
    user: Mapping[str, Any] | None,
    users: Mapping[int, Mapping[str, Any]],
    organizations: Mapping[int, Mapping[str, Any]],
) -> dict[str, Any]:
    """A user as an associated record: sorted, without USER_ATTRIBUTE_BLACKLIST (base.rb)."""
    if not user:
        return {}

    def names(association: str, ident: Any) -> Any:
        # app/models/user.rb: belongs_to organization; created_by/updated_by filled by login
        if association == "organization":
            return (organizations.get(ident) or {}).get("name")
        if association in ("created_by", "updated_by"):
            return (users.get(ident) or {}).get("login")
        return None

    has_many: dict[str, list[Any]] = {}
    # guess: role names from the seeded roles; secondary organizations by their names
    if "role_ids" in user:
        has_many["roles"] = [_ROLES.get(ident) for ident in user["role_ids"] or []]
    if "organization_ids" in user:
        has_many["organizations"] = [
            (organizations.get(ident) or {}).get("name") for ident in user["organization_ids"] or []
        ]
    attributes = attributes_with_association_names(user, names=names, has_many=has_many)
    return {
        key: value
        for key, value in sorted(attributes.items())
        if key not in USER_ATTRIBUTE_BLACKLIST
    }


def _plain_payload(
    record: Mapping[str, Any] | None, users: Mapping[int, Mapping[str, Any]], **extra: Any
) -> dict[str, Any]:
    """A non-user associated record (group, organization, priority): sorted, logins filled."""
    if not record:
        return {}

    def names(association: str, ident: Any) -> Any:
        if association in ("created_by", "updated_by"):
            return (users.get(ident) or {}).get("login")
        return None

    attributes = attributes_with_association_names({**record, **extra}, names=names)
    return dict(sorted(attributes.items()))


def _priority(priority_id: Any) -> dict[str, Any] | None:
    """A seeded priority row (db/seeds/ticket_priorities.rb); guess: timestamps left out."""
    name = seeds.PRIORITIES.get(priority_id)
    if name is None:
        return None
    icons = {1: "low-priority", 3: "important"}
    colors = {1: "low-priority", 3: "high-priority"}
    return {
        "id": priority_id,
        "name": name,
        "default_create": priority_id == seeds.DEFAULT_PRIORITY,
        "ui_icon": icons.get(priority_id),
        "ui_color": colors.get(priority_id),
        "note": None,
        "active": True,
        "created_by_id": 1,
        "updated_by_id": 1,
    }


def webhook_body(
    *,
    ticket: dict[str, Any],
    article: dict[str, Any] | None,
    users: Mapping[int, dict[str, Any]],
    organizations: Mapping[int, dict[str, Any]],
    groups: Mapping[int, dict[str, Any]],
    fqdn: str = "zammad.example.com",
    http_type: str = "https",
    article_ids: Sequence[int] | None = None,
) -> dict[str, Any]:
    """The default webhook payload ``{"ticket": ..., "article": ...}`` (trigger_webhook_job.rb).

    ``article_ids`` are the ticket's articles (default: ``ticket["article_ids"]``,
    else the triggering article's id).
    """

    def login(ident: Any) -> Any:
        return (users.get(ident) or {}).get("login")

    def ticket_names(association: str, ident: Any) -> Any:
        # app/models/ticket.rb belongs_to; the value shown is the login, else the name
        lookups: dict[str, Callable[[Any], Any]] = {
            "group": lambda i: (groups.get(i) or {}).get("name"),
            "organization": lambda i: (organizations.get(i) or {}).get("name"),
            "state": lambda i: seeds.STATES[i][0] if i in seeds.STATES else None,
            "priority": seeds.PRIORITIES.get,
            "owner": login,
            "customer": login,
            "created_by": login,
            "updated_by": login,
            "create_article_type": lambda i: seeds.TYPES[i][0] if i in seeds.TYPES else None,
            "create_article_sender": seeds.SENDERS.get,
        }
        lookup = lookups.get(association)
        return lookup(ident) if lookup else None

    def user(ident: Any) -> dict[str, Any]:
        return _user_payload(users.get(ident), users, organizations)

    def organization(ident: Any) -> dict[str, Any]:
        record = organizations.get(ident)
        if not record:
            return {}
        # app/models/organization.rb has_many :members, habtm :secondary_members (guess: by id)
        members = sorted(i for i, u in users.items() if u.get("organization_id") == ident)
        secondary = sorted(
            i for i, u in users.items() if ident in (u.get("organization_ids") or [])
        )
        extra = {"member_ids": members, "secondary_member_ids": secondary}
        payload = _plain_payload(record, users, **extra)
        payload |= {"members": [login(i) for i in members]}
        payload |= {"secondary_members": [login(i) for i in secondary]}
        return dict(sorted(payload.items()))

    if article_ids is None:
        held = ticket.get("article_ids")
        article_ids = held if held is not None else ([article["id"]] if article else [])
    columns = {key: value for key, value in ticket.items() if key not in ("tags", "article_ids")}
    # attributes_with_association_ids: has_many articles / ticket_time_accounting ids
    columns["article_ids"] = sorted(article_ids)
    columns["ticket_time_accounting_ids"] = []
    associated = {
        "group": _plain_payload(_find(groups, ticket.get("group_id")), users),
        "organization": organization(ticket.get("organization_id")),
        "priority": _priority(ticket.get("priority_id")),
        "owner": user(ticket.get("owner_id")),
        "customer": user(ticket.get("customer_id")),
        "created_by": user(ticket.get("created_by_id")),
        "updated_by": user(ticket.get("updated_by_id")),
    }
    ticket_payload = record_payload(
        columns,
        names=ticket_names,
        associations={name: associated[name] for name in TICKET_ASSOCIATIONS},
        # articles have no login/name: the key goes when there are some, stays [] when none
        has_many={"articles": [None] * len(article_ids), "ticket_time_accounting": []},
    )
    return {
        "ticket": ticket_payload,
        "article": _article_payload(article, users, organizations, fqdn, http_type),
    }


def _article_payload(
    article: Mapping[str, Any] | None,
    users: Mapping[int, Mapping[str, Any]],
    organizations: Mapping[int, Mapping[str, Any]],
    fqdn: str,
    http_type: str,
) -> dict[str, Any]:
    """``TriggerWebhookJob::RecordPayload::Ticket::Article#generate``."""
    if not article:
        return {}

    def article_names(association: str, ident: Any) -> Any:
        # app/models/ticket/article.rb belongs_to type, sender, created_by, updated_by, origin_by
        if association == "type":
            return seeds.TYPES[ident][0] if ident in seeds.TYPES else None
        if association == "sender":
            return seeds.SENDERS.get(ident)
        if association in ("created_by", "updated_by", "origin_by"):
            return (users.get(ident) or {}).get("login")
        return None  # the ticket has neither login nor name

    columns = {key: value for key, value in article.items() if key != "accounted_time"}
    # app/models/ticket/article.rb attributes_with_association_names: attachments, time_unit
    columns["attachments"] = [dict(item) for item in article.get("attachments") or []]
    columns["time_unit"] = article.get("time_unit")
    result = record_payload(
        columns,
        names=article_names,
        associations={
            name: _user_payload(_find(users, article.get(f"{name}_id")), users, organizations)
            for name in ARTICLE_ASSOCIATIONS
        },
    )
    # record_payload/ticket/article.rb add_attachments_url, add_accounted_time
    template = f"{http_type}://{fqdn}/api/v1/ticket_attachment/{{}}/{{}}/{{}}"
    for attachment in result["attachments"]:
        attachment["url"] = template.format(
            result.get("ticket_id"), result.get("id"), attachment.get("id")
        )
    time_unit = article.get("time_unit")
    result["accounted_time"] = int(float(time_unit)) if time_unit is not None else 0
    return result


# -- delivery -------------------------------------------------------------------------


@dataclass
class Attempt:
    """One POST the sender made (or tried to make)."""

    delivery: str
    trigger: str
    attempt: int
    status: int | None
    error: str | None
    headers: dict[str, str]
    body: bytes
    endpoint: str = ""


@dataclass
class JobRequest:
    """What one execution of TriggerWebhookJob sends, read from the records as they are
    at that execution (app/jobs/trigger_webhook_job.rb ``request``): the webhook's
    endpoint, signature token, ssl_verify and basic auth, the trigger's name, the payload."""

    endpoint: str
    trigger: str
    payload: Mapping[str, Any]
    token: str | None
    ssl_verify: bool = True
    user: str | None = None
    password: str | None = None


# One execution's records: a JobRequest, or None when the job does nothing
# (TriggerWebhookJob#abort?, or discard_on ActiveJob::DeserializationError).
JobPerform = Callable[[], JobRequest | None]


@dataclass
class _Delivery:
    """One queued job: a fixed request (``send``), or a ``perform`` that reads its
    request anew at each attempt (``enqueue``)."""

    ident: str
    endpoint: str = ""
    trigger: str = ""
    payload: Mapping[str, Any] | Callable[[], Mapping[str, Any]] = field(default_factory=dict)
    token: str | None = None
    ssl_verify: bool = True
    user: str | None = None
    password: str | None = None
    executions: int = 0
    perform: JobPerform | None = None


class WebhookSender:
    """TriggerWebhookJob on one background worker, as delayed_job runs it."""

    # app/jobs/trigger_webhook_job.rb: retry_on RequestError, attempts: 5
    MAX_ATTEMPTS = 5
    # app/jobs/trigger_webhook_job.rb: wait: executions * 10.seconds
    WAIT_STEP = 10.0

    def __init__(
        self, *, wait_scale: float = 0.01, open_timeout: float = 4.0, read_timeout: float = 30.0
    ) -> None:
        self.wait_scale = wait_scale
        self.open_timeout = open_timeout  # trigger_webhook_job.rb: open_timeout: 4
        self.read_timeout = read_timeout  # trigger_webhook_job.rb: read_timeout: 30
        self.attempts: list[Attempt] = []
        # Deliveries whose job ended without a request (no active webhook, records gone).
        self.aborted: list[str] = []
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, _Delivery]] = []
        self._order = itertools.count()
        self._busy = 0
        self._closed = False
        self._session = requests.Session()
        # lib/user_agent.rb get_http: proxies come from Setting 'proxy', not the environment
        self._session.trust_env = False
        # Ruby's net/http defaults (guess: what it sends besides Zammad's own headers)
        self._session.headers.clear()
        self._session.headers.update(
            {"Accept-Encoding": "gzip;q=1.0,deflate;q=0.6,identity;q=0.3", "Accept": "*/*"}
        )
        # delayed_job: one worker, jobs one at a time (guess: Zammad's default single worker)
        self._worker = threading.Thread(target=self._work, name="fake-zammad-webhooks", daemon=True)
        self._worker.start()

    def send(
        self,
        *,
        endpoint: str,
        trigger_name: str,
        payload: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
        signature_token: str | None,
        ssl_verify: bool = True,
        basic_auth_username: str | None = None,
        basic_auth_password: str | None = None,
    ) -> str:
        """Queue one delivery; return its id (the ActiveJob job_id, the same on every retry).

        ``payload`` may be a callable: the job builds the payload anew on each
        attempt from the records as they are then (trigger_webhook_job.rb ``perform``).
        """
        delivery = _Delivery(
            ident=str(uuid.uuid4()),
            endpoint=endpoint,
            trigger=trigger_name,
            payload=payload,
            token=signature_token,
            ssl_verify=ssl_verify,
            user=basic_auth_username,
            password=basic_auth_password,
        )
        return self._enqueue(delivery)

    def enqueue(self, perform: JobPerform) -> str:
        """Queue a TriggerWebhookJob whose every execution re-reads its records.

        ActiveJob serialises the trigger, ticket and article as GlobalIDs and each
        retry is a new job instance, so every attempt loads them anew, looks the webhook
        up again (``Webhook.find_by(id:, active: true)``) and renders the payload, and
        hence the signature, from the records as they are then
        (app/jobs/trigger_webhook_job.rb). ``perform`` does that reading.
        """
        return self._enqueue(_Delivery(ident=str(uuid.uuid4()), perform=perform))

    def _enqueue(self, delivery: _Delivery) -> str:
        with self._cond:
            if self._closed:
                raise RuntimeError("the webhook sender is closed")
            heapq.heappush(self._queue, (time.monotonic(), next(self._order), delivery))
            self._cond.notify_all()
        return delivery.ident

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once no delivery is queued, waiting for a retry, or in flight."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._busy, timeout)

    def close(self) -> None:
        """Stop the worker; deliveries still queued are dropped."""
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()
        self._worker.join(timeout=self.open_timeout + self.read_timeout + 1.0)
        self._session.close()

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the worker -------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    now = time.monotonic()
                    if self._queue and self._queue[0][0] <= now:
                        break
                    self._cond.wait(self._queue[0][0] - now if self._queue else None)
                if self._closed:
                    return
                _due, _order, delivery = heapq.heappop(self._queue)
                self._busy += 1
            retry = False
            try:
                retry = not self._perform(delivery)
            finally:
                with self._cond:
                    self._busy -= 1
                    if retry and delivery.executions < self.MAX_ATTEMPTS and not self._closed:
                        wait = delivery.executions * self.WAIT_STEP * self.wait_scale
                        due = time.monotonic() + wait
                        heapq.heappush(self._queue, (due, next(self._order), delivery))
                    self._cond.notify_all()

    def _perform(self, delivery: _Delivery) -> bool:
        """One execution of the job; True when done (success, or an error not retried)."""
        delivery.executions += 1
        if delivery.perform is not None:
            try:
                request = delivery.perform()
            except Exception as error:  # guess: an error other than RequestError is not retried
                self._record(delivery, None, f"perform: {error!r}", {}, b"")
                return True
            if request is None:  # TriggerWebhookJob#abort? / discard_on: no request, done
                with self._cond:
                    self.aborted.append(delivery.ident)
                return True
            delivery.endpoint = request.endpoint
            delivery.trigger = request.trigger
            delivery.payload = request.payload
            delivery.token = request.token
            delivery.ssl_verify = request.ssl_verify
            delivery.user = request.user
            delivery.password = request.password
        headers = {
            # lib/user_agent.rb set_headers, then TriggerWebhookJob#headers
            "User-Agent": "Zammad User Agent",
            "X-Zammad-Trigger": delivery.trigger,
            "X-Zammad-Delivery": delivery.ident,
            # lib/user_agent.rb set_params (json: true)
            "Content-Type": "application/json; charset=utf-8",
        }
        try:
            payload = delivery.payload() if callable(delivery.payload) else delivery.payload
            body = rails.dumps(payload)  # Hash#to_json through ActiveSupport's encoder
        except Exception as error:  # guess: an error other than RequestError is not retried
            self._record(delivery, None, f"payload: {error!r}", headers, b"")
            return True
        # lib/user_agent.rb set_basic_auth: only with both user and password present
        if (delivery.user or "").strip() and (delivery.password or "").strip():
            pair = f"{delivery.user}:{delivery.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        # lib/user_agent.rb set_signature: skipped for a blank token (or body)
        token = delivery.token or ""
        if token.strip():
            digest = hmac.new(token.encode(), body, hashlib.sha1).hexdigest()
            headers["X-Hub-Signature"] = f"sha1={digest}"

        status: int | None = None
        error_text: str | None = None
        # guess: UserAgent's total_timeout (60 s) is not modelled; open/read timeouts are.
        try:
            response = self._session.post(
                delivery.endpoint,
                data=body,
                headers=headers,
                timeout=(self.open_timeout, self.read_timeout),
                allow_redirects=False,  # do_not_follow_redirects: true
                verify=delivery.ssl_verify,
            )
            status = response.status_code
            response.close()
            # lib/user_agent.rb process: only Net::HTTPSuccess succeeds; a redirect raises
            if 300 <= status < 400:
                error_text = (
                    "The server returned a redirect response, but redirects are not allowed."
                )
            elif not 200 <= status < 300:
                error_text = f"HTTP {status}"
        except requests.RequestException as error:
            # lib/user_agent.rb make_connection: rescue => e, code 0 (timeouts, refused, TLS)
            error_text = repr(error)
        self._record(delivery, status, error_text, headers, body)
        return error_text is None

    def _record(
        self,
        delivery: _Delivery,
        status: int | None,
        error: str | None,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        attempt = Attempt(
            delivery=delivery.ident,
            trigger=delivery.trigger,
            attempt=delivery.executions,
            status=status,
            error=error,
            headers=dict(headers),
            body=body,
            endpoint=delivery.endpoint,
        )
        with self._cond:
            self.attempts.append(attempt)
