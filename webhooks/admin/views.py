"""The admin console's pages: overview, decisions, policy, try a ticket, report, backtest.

Server-rendered Jinja templates and one stylesheet shipped in the package; no
JavaScript. Every page but the login form needs a signed-in session; every form
carries a CSRF token. The views read the store and the policy and hand them to
the pure summaries; only "Try a ticket" decides anything, and it writes nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from plugin.engine import evaluate
from plugin.errors import PolicyError, Problem
from plugin.manifest import load_manifest
from plugin.policy import load_policy
from plugin.readiness import BackgroundCheck
from plugin.reports.compliance import NO_CLIENT, to_csv, to_json
from plugin.reports.monthly import monthly_report
from plugin.runtime import Runtime
from plugin.text import html_to_text
from plugin.zammad.installer import Installer, InstallError
from webhooks.admin import summaries
from webhooks.admin.auth import (
    LoginThrottle,
    admin_token,
    sign_in,
    sign_out,
    signed_in,
    token_matches,
)
from webhooks.admin.trial import CHANNELS, TIME_FORMAT, read_trial

log = logging.getLogger(__name__)
# Runs of blank lines left where HTML had nested blocks.
_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+\n")
CONSOLE = "ticket_warden_console"
# Decisions the decisions page shows at most after filtering.
DECISIONS_SHOWN = 100
FAILURES_SHOWN = 10
INSTALLATION_FRESH_SECONDS = 60.0
INSTALLATION_WAIT_SECONDS = 2.0

admin = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


@dataclass
class Console:
    """What the console's views share: the runtime, and the login throttle."""

    runtime: Runtime
    token_file: str | None = None
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    # What 'ticket-warden check' finds in Zammad, refreshed off the request path.
    installation: BackgroundCheck | None = None


def _console() -> Console:
    console: Console = current_app.extensions[CONSOLE]
    return console


PUBLIC_ENDPOINTS = frozenset({"admin.login", "admin.static"})


@admin.before_request
def _require_session() -> BaseResponse | None:
    """Every page but the login form and the stylesheet needs a signed-in session."""
    if request.endpoint in PUBLIC_ENDPOINTS or signed_in():
        return None
    return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))


@admin.after_request
def _headers(response: Response) -> Response:
    """No scripts at all, no framing, nothing cached: the pages hold customers' data."""
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    runtime = _console().runtime
    policy = runtime.policy
    return render_template(
        template,
        dry_run=runtime.dry_run,
        company=policy.company,
        zone=policy.zone,
        local=lambda moment: _local(moment, runtime),
        **context,
    ), status


def _local(moment: datetime | str | None, runtime: Runtime) -> str:
    """A moment as the office reads it: in the policy's zone, to the minute."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        try:
            return _local(datetime.fromisoformat(moment), runtime)
        except ValueError:
            return moment
    return moment.astimezone(runtime.policy.zone).strftime("%Y-%m-%d %H:%M %Z")


# -- signing in ----------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a console page only, never another site."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return url_for("admin.overview")


@admin.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse | tuple[str, int]:
    """The login form: the admin token in, a session cookie out."""
    console = _console()
    configured = admin_token() is not None
    if request.method == "GET":
        if signed_in():
            return redirect(_safe_next(request.args.get("next")))
        return _page("login.html", configured=configured, token_file=console.token_file)
    if not configured:
        return _page("login.html", 403, configured=False, token_file=None)
    address = request.remote_addr or "unknown"
    wait = console.throttle.wait_for(address)
    if wait > 0:
        log.warning("admin console: sign-in from %s refused for %d s (wrong tokens)", address, wait)
        message = f"too many wrong tokens; try again in {int(wait) + 1} s"
        return _page("login.html", 429, configured=True, error=message, token_file=None)
    if not token_matches(request.form.get("token", "")):
        console.throttle.failed(address)
        log.warning("admin console: wrong token from %s", address)
        return _page(
            "login.html", 401, configured=True, error="wrong token", token_file=console.token_file
        )
    sign_in()
    log.info("admin console: signed in from %s", address)
    return redirect(_safe_next(request.form.get("next")))


@admin.post("/logout")
def logout() -> BaseResponse:
    sign_out()
    return redirect(url_for("admin.login"))


# -- pages -----------------------------------------------------------------------


@admin.get("/")
def overview() -> tuple[str, int]:
    """Helpdesk reachable, queue depth, retries, the last day's outcomes, failures."""
    runtime = _console().runtime
    store = runtime.store
    now = datetime.now(UTC)
    pending = store.pending()
    waiting = [found for found in map(store.delivery, pending[:500]) if found and found.attempts]
    entries = store.recent(runtime.settings.decisions_kept)
    failures = [
        (entry, error, summaries.advice(error))
        for entry in entries
        for error in entry.get("errors", ())
    ][:FAILURES_SHOWN]
    dead = store.failed(FAILURES_SHOWN)
    return _page(
        "overview.html",
        helpdesk=_helpdesk_state(runtime),
        pending=len(pending),
        retrying=waiting,
        dead_count=store.dead_count(),
        dead=[(item, summaries.dead_advice(item.id)) for item in dead],
        outcomes=summaries.outcomes_since(entries, now - timedelta(hours=24)),
        failures=failures,
    )


def _helpdesk_state(runtime: Runtime) -> dict[str, Any]:
    """Which helpdesk, where, and whether the last background check reached it."""
    settings = runtime.settings
    if not settings.has_helpdesk:
        return {"configured": False, "problems": runtime.readiness_problems()}
    url = (
        settings.django_helpdesk_url
        if settings.helpdesk == "django-helpdesk"
        else settings.zammad_url
    )
    return {
        "configured": True,
        "kind": settings.helpdesk,
        "url": url,
        # A dry run never contacts the helpdesk, so nothing says whether it could.
        "checked": not runtime.dry_run,
        "problems": runtime.readiness_problems(),
    }


@admin.get("/decisions")
def decisions() -> tuple[str, int]:
    """Recorded decisions, newest first, filtered by tag, client, tier and day."""
    runtime = _console().runtime
    entries = runtime.store.recent(runtime.settings.decisions_kept)
    args = request.args
    problems = []
    try:
        since = summaries.parse_day(args.get("since"))
        until = summaries.parse_day(args.get("until"))
    except ValueError:
        problems.append("dates must be days such as 2026-11-30")
        since = until = None
    chosen = summaries.DecisionFilter(
        tag=args.get("tag", ""),
        client=args.get("client", ""),
        tier=args.get("tier", ""),
        since=since,
        until=until,
    )
    kept = [entry for entry in entries if chosen.keeps(entry, runtime.policy.zone)]
    return _page(
        "decisions.html",
        400 if problems else 200,
        problems=problems,
        entries=kept[:DECISIONS_SHOWN],
        matched=len(kept),
        total=len(entries),
        chosen=chosen,
        choices=summaries.choices(entries),
        ticket_link=_ticket_link(runtime),
        outcome_of=summaries.outcome_of,
    )


def _ticket_link(runtime: Runtime) -> str | None:
    """A ticket's address in the helpdesk's own interface, with ``{id}`` to fill in."""
    settings = runtime.settings
    if settings.helpdesk == "django-helpdesk" and settings.django_helpdesk_url:
        return settings.django_helpdesk_url + "/tickets/{id}/"
    if settings.zammad_url:
        return settings.zammad_url + "/#ticket/zoom/{id}"
    return None


@admin.get("/policy")
def policy_page() -> tuple[str, int]:
    """Tiers, clients, the office week, closures ahead, links, and the file's problems."""
    runtime = _console().runtime
    policy = runtime.policy
    today = datetime.now(policy.zone).date()
    return _page(
        "policy.html",
        policy=policy,
        source=str(runtime.settings.policy) if runtime.settings.policy else None,
        week=summaries.office_week(policy),
        closures=summaries.closures_ahead(policy, today),
        file_state=_policy_file_state(runtime),
        installation=_installation_problems(_console()),
        tier_tag=policy.tier_tag,
        hours=summaries.hours_text,
    )


def _policy_file_state(runtime: Runtime) -> dict[str, Any]:
    """What ``check`` says of the policy file on disk now, against the running policy."""
    path = runtime.settings.policy
    if path is None:
        return {"problems": [], "changed": False}
    try:
        on_disk = load_policy(path)
    except PolicyError as exc:
        return {"problems": [str(problem) for problem in exc.problems], "changed": True}
    except OSError as exc:
        problem = Problem(str(path), "", None, exc.strerror or str(exc))
        return {"problems": [str(problem)], "changed": True}
    return {"problems": [], "changed": on_disk.model_dump() != runtime.policy.model_dump()}


def _installation_problems(console: Console) -> list[str] | None:
    """What ``check`` finds between Zammad and the running policy (None: no live Zammad).

    Several calls to Zammad: checked in the background at most once a minute, and a
    page waits for it two seconds at most."""
    client = console.runtime.zammad
    if client is None:
        return None
    if console.installation is None:
        installer = Installer(client, load_manifest(), console.runtime.policy, today=date.today())

        def check() -> list[str]:
            try:
                return installer.problems()
            except InstallError as exc:
                return [str(exc)]

        console.installation = BackgroundCheck(check, fresh_for=INSTALLATION_FRESH_SECONDS)
    return console.installation.latest(wait=INSTALLATION_WAIT_SECONDS)


@admin.route("/try", methods=["GET", "POST"])
def try_ticket() -> tuple[str, int]:
    """A made-up first message and the decision the policy would make; writes nothing."""
    runtime = _console().runtime
    policy = runtime.policy
    default_to = policy.ticket_addresses[0] if policy.ticket_addresses else ""
    now_text = datetime.now(policy.zone).strftime(TIME_FORMAT)
    form = {"channel": "email", "to": default_to, "time": now_text} | request.form.to_dict()
    context: dict[str, Any] = {
        "form": form,
        "channels": CHANNELS,
        "decision": None,
        "problems": [],
    }
    if request.method == "GET":
        return _page("try.html", **context)
    trial = read_trial(form, policy.zone, default_to)
    if isinstance(trial, list):
        return _page("try.html", 400, **(context | {"problems": trial}))
    decision = evaluate(trial.ticket, trial.message, policy, trial.at)
    return _page("try.html", **(context | {"decision": decision.to_json()}))


def _month_asked(runtime: Runtime, now: datetime) -> tuple[str, str | None]:
    """The month (this one by default) and client the report's query string asks for."""
    month = request.args.get("month") or now.astimezone(runtime.policy.zone).strftime("%Y-%m")
    return month, request.args.get("client") or None


def _clients(runtime: Runtime) -> list[str]:
    """The names a report can be narrowed to: the policy's clients, then no client."""
    return [client.name for client in runtime.policy.clients] + [NO_CLIENT]


@admin.get("/report")
def report() -> tuple[str, int]:
    """The month's SLA compliance per client and tier, with its charts and tables."""
    # matplotlib is loaded by the first report shown, not by every receiver at start-up.
    from plugin.reports.html import report_section  # noqa: PLC0415

    runtime = _console().runtime
    now = datetime.now(UTC)
    month, client = _month_asked(runtime, now)
    context: dict[str, Any] = {"month": month, "client": client, "clients": _clients(runtime)}
    try:
        made = monthly_report(runtime.store, runtime.policy, month, now, client=client)
    except ValueError:
        problem = f"the month must be such as 2026-11, not '{month}'"
        return _page("report.html", 400, section=None, problem=problem, **context)
    return _page("report.html", section=report_section(made), problem=None, **context)


@admin.get("/report.<kind>")
def report_file(kind: str) -> Response | tuple[str, int]:
    """The same month's rows as a CSV or JSON download (``ticket-warden report``'s)."""
    runtime = _console().runtime
    now = datetime.now(UTC)
    month, client = _month_asked(runtime, now)
    if kind not in ("csv", "json"):
        return console_error(404, "Not Found", f"no report as '{kind}': csv or json")
    try:
        made = monthly_report(runtime.store, runtime.policy, month, now, client=client)
    except ValueError:
        return console_error(400, "Bad Request", f"the month must be such as 2026-11: '{month}'")
    body = to_csv(made.rows) if kind == "csv" else to_json(made.rows, month)
    mimetype = "text/csv" if kind == "csv" else "application/json"
    name = f"sla-compliance-{month}.{kind}"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@admin.get("/backtest")
def backtest() -> tuple[str, int]:
    """The last backtest ``ticket-warden backtest`` saved to the store."""
    from plugin.reports.backtest_html import backtest_section  # noqa: PLC0415

    last = _console().runtime.store.last_backtest()
    return _page("backtest.html", section=backtest_section(last) if last else None)


# -- errors ----------------------------------------------------------------------


def is_console_request() -> bool:
    """Whether the request is for a console page (answered in HTML, not JSON)."""
    return request.path == "/admin" or request.path.startswith("/admin/")


def console_error(status: int, title: str, message: str) -> tuple[str, int]:
    """An error as a console page: what went wrong and a way back, never a traceback."""
    return render_template("error.html", status=status, title=title, message=message), status


@admin.app_template_filter("epoch")
def _epoch(seconds: float) -> datetime:
    """A Unix time as an aware moment, for the ``local`` formatter."""
    return datetime.fromtimestamp(seconds, UTC)


@admin.app_template_filter("as_text")
def _as_text(body: str) -> str:
    """A reply or note's HTML as the text it reads as (escaped on output as ever)."""
    text = html_to_text(body) if "<" in body else body
    return _BLANK_LINES.sub("\n\n", text).strip()
