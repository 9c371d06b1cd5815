"""The ``ticket-warden`` command line: evaluate, check, serve, worker, send.

Every failure is one line on stderr and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import requests
from pydantic import ValidationError

from plugin import __version__
from plugin.django_helpdesk.client import DjangoHelpdeskClient
from plugin.django_helpdesk.installer import SECRET_PLACEHOLDER, check_access, settings_to_paste
from plugin.engine import evaluate
from plugin.errors import (
    HelpdeskError,
    HelpdeskUnavailableError,
    PayloadError,
    PolicyError,
    SettingsError,
)
from plugin.language.subject_model import load_language_data
from plugin.logs import configure_logging
from plugin.manifest import load_manifest
from plugin.policy import Policy, load_policy
from plugin.reports.compliance import month_bounds, to_csv, to_json
from plugin.reports.monthly import monthly_report
from plugin.runtime import Runtime, build_runtime, open_settings_store
from plugin.settings import Settings
from plugin.signature import SIGNATURE_HEADER, sign
from plugin.sla.record import describe_clock
from plugin.zammad.client import ZammadClient
from plugin.zammad.installer import Installer, InstallError, Outcome
from plugin.zammad.payload import parse_payload, to_model
from plugin.zammad.reconcile import SEARCH_PATH, parse_window

EXIT_USAGE = 2
# An idle SQLite consumer polls at most this many seconds apart (huey backs off to 10 s).
CONSUMER_MAX_DELAY = 0.5
# Threads answering HTTP; requests are read on waitress's event loop first, so these
# only run the (short) route handlers.
HTTP_THREADS = 8


class CliError(Exception):
    """A failure to report as one line and exit status 2."""


def _fail(message: str) -> NoReturn:
    raise CliError(message)


def _policy(path: str | Path | None, role: str = "policy") -> Policy:
    """The policy at ``path`` (None: the built-in one); a bad one fails in one line."""
    try:
        return load_policy(path)
    except PolicyError as exc:
        _fail(f"{role}: " + " ".join(str(exc).split()))


def _read_json(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {path}: {exc}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except RecursionError:
        _fail(f"{path} is JSON nested too deeply")


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Print the decision for one Zammad webhook payload as JSON."""
    policy = _policy(args.policy)
    data = _read_json(args.payload)
    try:
        ticket, message = to_model(parse_payload(data), policy)
    except PayloadError as exc:
        _fail(f"{args.payload} is not a Zammad ticket payload: {exc}")
    decision = evaluate(ticket, message, policy, now=datetime.now(UTC))
    json.dump(decision.to_json(), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def _problems_found(problems: Sequence[object]) -> int:
    for problem in problems:
        print(problem, file=sys.stderr)
    count = len(problems)
    print(f"{count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
    return EXIT_USAGE


def cmd_check(args: argparse.Namespace) -> int:
    """Validate a policy file, and with a helpdesk configured, the installation too."""
    settings = _settings()
    try:
        policy = load_policy(args.policy or settings.policy)
    except PolicyError as exc:
        return _problems_found(exc.problems)
    print(policy.summary())
    url, token = args.url or settings.zammad_url, args.token or _token(settings)
    if not (url and token):
        return 0
    installer = _installer(url, token, policy, settings)
    try:
        problems = installer.problems()
    except InstallError as exc:
        return _problems_found([str(exc)])
    if problems:
        return _problems_found(problems)
    print(f"Zammad at {url}: token, permissions and installed objects match the policy")
    return 0


def _token(settings: Settings) -> str | None:
    return settings.zammad_token.get_secret_value() if settings.zammad_token else None


def _installer(url: str, token: str, policy: Policy, settings: Settings, **extra: Any) -> Installer:
    client = ZammadClient(
        url, token, requests.Session(), timeout=settings.timeout_seconds, max_attempts=2
    )
    return Installer(client, load_manifest(), policy, today=date.today(), **extra)


def _admin_target(args: argparse.Namespace) -> tuple[Settings, Policy, str, str]:
    settings = _settings()
    policy = _policy(args.policy or (str(settings.policy) if settings.policy else None))
    url = args.url or settings.zammad_url
    token = args.token or _token(settings)
    if not url or not token:
        _fail(
            "no Zammad to talk to: pass --url and --token (or set WARDEN_ZAMMAD_URL and "
            "WARDEN_ZAMMAD_TOKEN)"
        )
    return settings, policy, url.rstrip("/"), token


def _report(outcome: Outcome, *, dry_run: bool) -> None:
    for step in outcome.steps:
        print(step)
    counts = Counter(step.action for step in outcome.steps)
    summary = ", ".join(f"{counts[action]} {action}" for action in sorted(counts))
    print(("dry run, nothing written: " if dry_run else "") + (summary or "nothing to do"))
    for note in outcome.notes:
        print(note)


def _django_helpdesk_client(settings: Settings) -> DjangoHelpdeskClient:
    password = settings.django_helpdesk_password
    if not (settings.django_helpdesk_url and settings.django_helpdesk_user and password):
        _fail("set WARDEN_DJANGO_HELPDESK_URL, _USER and _PASSWORD (the bot's staff user)")
    return DjangoHelpdeskClient(
        settings.django_helpdesk_url,
        settings.django_helpdesk_user,
        password.get_secret_value(),
        requests.Session(),
        timeout=settings.timeout_seconds,
        max_attempts=2,
    )


def install_django_helpdesk(args: argparse.Namespace) -> int:
    """Check the bot's API access and print the settings django-helpdesk needs."""
    settings = _settings()
    client = _django_helpdesk_client(settings)
    webhook_url = args.webhook_url or settings.webhook_url
    if not webhook_url:
        _fail("no webhook URL: pass --webhook-url (the address django-helpdesk posts to)")
    try:
        check_access(client)
    except InstallError as exc:
        _fail(str(exc))
    print(f"django-helpdesk at {client.base_url}: the bot's user can use the API.")
    print("Put these in the Django project's settings (or its environment), replacing")
    print(f"{SECRET_PLACEHOLDER} with the value of WARDEN_WEBHOOK_SECRET:")
    for line in settings_to_paste(load_manifest(), webhook_url):
        print(f"    {line}")
    if settings.django_helpdesk_bot_user_id is None:
        print("Also set WARDEN_DJANGO_HELPDESK_BOT_USER_ID to the bot user's id.")
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    """Create or update in Zammad everything the manifest lists, for this policy."""
    if (args.helpdesk or _settings().helpdesk) == "django-helpdesk":
        return install_django_helpdesk(args)
    settings, policy, url, token = _admin_target(args)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    installer = _installer(
        url,
        token,
        policy,
        settings,
        webhook_url=args.webhook_url or settings.webhook_url,
        secret=secret,
    )
    return _administer(
        installer,
        lambda: installer.install(dry_run=args.dry_run, force_secrets=args.update_secret),
        dry_run=args.dry_run,
    )


def cmd_uninstall(args: argparse.Namespace) -> int:
    """Remove from Zammad exactly what install made; tickets and their tags stay."""
    settings, policy, url, token = _admin_target(args)
    installer = _installer(url, token, policy, settings)
    return _administer(
        installer,
        lambda: installer.uninstall(dry_run=args.dry_run, keep_attribute=args.keep_attribute),
        dry_run=args.dry_run,
    )


def _administer(installer: Installer, work: Callable[[], Outcome], *, dry_run: bool) -> int:
    """Check the token first, then do the work and print each step; one line on failure."""
    try:
        installer.preflight()
        outcome = work()
    except InstallError as exc:
        _fail(str(exc))
    _report(outcome, dry_run=dry_run)
    return 0


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "WARDEN_" + "_".join(str(part) for part in first["loc"]).upper()
        _fail(f"{name}: {first['msg']}")


def _runtime(settings: Settings, *, open_demo: bool | None = None) -> Runtime:
    """The runtime; with ``open_demo`` given, first the check that it may serve HTTP."""
    try:
        if open_demo is not None:
            settings.check_can_serve(open_demo=open_demo)
        return build_runtime(settings)
    except (SettingsError, PolicyError) as exc:
        _fail(str(exc))


def _describe(settings: Settings, runtime: Runtime) -> str:
    helpdesk_url = (
        settings.django_helpdesk_url
        if settings.helpdesk == "django-helpdesk"
        else settings.zammad_url
    )
    mode = (
        "dry-run (decisions recorded locally, nothing written)"
        if runtime.dry_run
        else (f"live, writing to {settings.helpdesk} at {helpdesk_url}")
    )
    policy = str(settings.policy) if settings.policy else "built-in xstore policy"
    return f"{mode}; policy: {policy}; store: {settings.store}"


def cmd_serve(args: argparse.Namespace) -> int:
    """Receiver and worker in one process, for a single machine (waitress, bounded)."""
    # The CLI's other commands need no web stack.
    from webhooks.admin.auth import TOKEN_FILE  # noqa: PLC0415
    from webhooks.app import DJANGO_HELPDESK_PATH, WEBHOOK_PATH, create_app  # noqa: PLC0415
    from webhooks.server import make_server  # noqa: PLC0415

    settings = _settings()
    open_demo = settings.is_open_demo(args.host)
    runtime = _runtime(settings, open_demo=open_demo)
    configure_logging(settings.log_format)
    app = create_app(settings, runtime, open_demo=open_demo)
    try:
        server = make_server(
            app,
            args.host,
            args.port,
            threads=HTTP_THREADS,
            max_body_bytes=settings.max_body_bytes,
        )
    except OSError as exc:
        _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    _load_language_data(runtime)
    threading.Thread(target=server.run, name="http", daemon=True).start()
    route = DJANGO_HELPDESK_PATH if settings.helpdesk == "django-helpdesk" else WEBHOOK_PATH
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{server.getsockname()[1]}{route}"
    print(f"ticket-warden {__version__} receiving on {url}", file=sys.stderr, flush=True)
    print(_describe(settings, runtime), file=sys.stderr, flush=True)
    base = url.removesuffix(route)
    if open_demo:
        print(
            "open demo: no helpdesk and loopback only, so webhooks need no signature",
            file=sys.stderr,
            flush=True,
        )
    token_file = app.config[TOKEN_FILE]
    signing_in = f"sign in with the token in {token_file}" if token_file else "WARDEN_ADMIN_TOKEN"
    print(f"admin console: {base}/admin ({signing_in})", file=sys.stderr, flush=True)
    runtime.requeue_pending()
    consumer = runtime.huey.create_consumer(
        workers=settings.workers, worker_type="thread", max_delay=CONSUMER_MAX_DELAY
    )
    stop = _start_dispatcher(runtime)
    try:
        consumer.run()  # Until SIGINT or SIGTERM.
    finally:
        stop.set()
        server.close()
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Workers alone, beside a receiver served by gunicorn."""
    settings = _settings()
    runtime = _runtime(settings)
    configure_logging(settings.log_format)
    print(f"ticket-warden worker: {_describe(settings, runtime)}", file=sys.stderr, flush=True)
    _load_language_data(runtime)
    runtime.requeue_pending()
    workers = args.workers or settings.workers
    stop = _start_dispatcher(runtime)
    try:
        runtime.huey.create_consumer(
            workers=workers, worker_type="thread", max_delay=CONSUMER_MAX_DELAY
        ).run()
    finally:
        stop.set()
    return 0


def _load_language_data(runtime: Runtime) -> None:
    """Read the word lists, the model and the policy's phrases before serving, so that no
    decision pays for it (about 0.15 s, holding the interpreter)."""
    load_language_data()
    _ = runtime.policy.phrase_patterns


def _start_dispatcher(runtime: Runtime) -> threading.Event:
    """The thread that queues what receivers kept; set the event to stop it."""
    stop = threading.Event()
    threading.Thread(
        target=runtime.run_dispatcher, args=(stop,), name="dispatcher", daemon=True
    ).start()
    return stop


def cmd_send(args: argparse.Namespace) -> int:
    """Sign a payload with the configured secret and POST it to a receiver."""
    settings = _settings()
    try:
        body = sys.stdin.buffer.read() if args.payload == "-" else Path(args.payload).read_bytes()
    except OSError as exc:
        _fail(f"cannot read {args.payload}: {exc.strerror or exc}")
    headers = {
        "Content-Type": "application/json",
        "X-Zammad-Trigger": "ticket-warden send",
        "X-Zammad-Delivery": args.delivery or str(uuid.uuid4()),
    }
    secret = settings.secret_bytes()
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(body, secret)
        if settings.helpdesk == "django-helpdesk":  # it signs nothing: the secret itself
            headers["X-Warden-Token"] = secret.decode("utf-8")
    url = load_manifest().receiver_url(args.url, settings.helpdesk)
    try:
        response = requests.post(url, data=body, headers=headers, timeout=30, allow_redirects=False)
    except requests.RequestException as exc:
        _fail(f"cannot reach {url}: {type(exc).__name__}")
    print(f"{response.status_code} {response.text.strip()}")
    return 0 if 200 <= response.status_code < 300 else 1


def cmd_reconcile(args: argparse.Namespace) -> int:
    """Apply customer messages of the window whose webhook never arrived."""
    try:
        window = parse_window(args.since)
    except ValueError as exc:
        _fail(str(exc))
    settings = _settings()
    if settings.is_dry_run:
        _fail("reconcile writes to the helpdesk: set WARDEN_ZAMMAD_URL and WARDEN_ZAMMAD_TOKEN")
    runtime = _runtime(settings)
    configure_logging(settings.log_format)
    try:
        report = runtime.reconcile(window)
    except (HelpdeskError, HelpdeskUnavailableError) as exc:
        _fail(f"reconcile stopped: {exc}")
    print(
        f"examined {report.examined} tickets created in the last {args.since}; "
        f"wrote to {report.applied} (found by {SEARCH_PATH})"
    )
    return 0


def cmd_requeue(args: argparse.Namespace) -> int:
    """Queue a dead delivery (one the worker gave up on) once more."""
    settings = _settings()
    runtime = _runtime(settings)
    if not runtime.requeue(args.delivery):
        _fail(f"no dead delivery '{args.delivery}' in {settings.store} (see /healthz 'dead')")
    print(f"queued {args.delivery} again; a running worker takes it")
    return 0


def _named_policy(path: str | Path | None, role: str) -> tuple[Policy, str]:
    """A policy and the name reports give it; a bad one fails in one line."""
    policy = _policy(path, role)
    return policy, str(path) if path else f"built-in {policy.name} policy"


def cmd_backtest(args: argparse.Namespace) -> int:
    """Replay a policy on the past tickets of a window, writing nothing, and report."""
    # Only this command needs the progress bar and the backtest's modules.
    import redis  # noqa: PLC0415
    from tqdm import tqdm  # noqa: PLC0415

    from plugin.reports.backtest_html import backtest_page  # noqa: PLC0415
    from plugin.zammad.history import (  # noqa: PLC0415
        MAX_CONCURRENCY,
        HistoryReader,
        Policies,
        pooled_session,
        run_backtest,
    )

    try:
        span = parse_window(args.since)
    except ValueError as exc:
        _fail(f"--since: {exc}")
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        _fail(f"--concurrency must be 1 to {MAX_CONCURRENCY}, not {args.concurrency}")
    if args.limit < 1:
        _fail(f"--limit must be at least 1, not {args.limit}")
    settings = _settings()
    policy, name = _named_policy(args.policy or settings.policy, "policy")
    against, against_name = (
        _named_policy(args.against, "--against") if args.against else (None, None)
    )
    if settings.helpdesk != "zammad" or not (settings.zammad_url and settings.zammad_token):
        _fail("backtest reads past tickets from Zammad: set WARDEN_ZAMMAD_URL and _TOKEN")
    configure_logging(settings.log_format)  # the client's retries are told as they happen
    client = ZammadClient(
        settings.zammad_url,
        settings.zammad_token.get_secret_value(),
        pooled_session(args.concurrency + 1),  # the article readers and the page lister
        timeout=settings.timeout_seconds,
    )
    with tqdm(desc="backtest", unit=" tickets", file=sys.stderr, dynamic_ncols=True) as bar:

        def progress(read: int, found: int) -> None:
            if bar.total != found:
                bar.total = found
                bar.refresh()
            bar.update(read - bar.n)

        reader = HistoryReader(
            client, concurrency=args.concurrency, limit=args.limit, progress=progress
        )
        try:
            result = run_backtest(
                reader,
                Policies(policy, name, against, against_name),
                window=args.since.strip(),
                span=span,
                now=datetime.now(UTC),
            )
        except (HelpdeskError, HelpdeskUnavailableError) as exc:
            _fail(f"backtest stopped: {exc}")
    data = result.to_json()
    text = backtest_page(data) if args.format == "html" else json.dumps(data, indent=2) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        try:
            Path(args.output).write_text(text, "utf-8")
        except OSError as exc:
            _fail(f"cannot write {args.output}: {exc.strerror or exc}")
    print(_backtest_summary(data), file=sys.stderr)
    try:
        store = open_settings_store(settings)
        try:
            store.save_backtest(data)
        finally:
            store.close()
    except (OSError, ValueError, sqlite3.Error, redis.RedisError) as exc:
        _fail(f"the backtest was not kept for the admin console: {exc}")
    return 0


def _backtest_summary(data: dict[str, Any]) -> str:
    """One line for the terminal: how many tickets, how fast, what they would have got."""
    seconds = data["seconds"] or 0.0
    rate = data["examined"] / seconds if seconds else 0.0
    sla = data["totals"]["sla"]
    line = (
        f"replayed {data['replayed']} of {data['examined']} tickets created in the last "
        f"{data['window']} in {seconds:.1f} s ({rate:.0f} tickets/s): "
        f"{data['totals']['replies']} replies; due dates met {sla['met']}, breached "
        f"{sla['breached']}, open {sla['open']}"
    )
    if data["changes"] is not None:
        line += f"; {len(data['changes'])} tickets decided differently under {data['against']}"
    if data["limit_reached"]:
        line += "; stopped at --limit"
    return line


def cmd_sla(args: argparse.Namespace) -> int:
    """Print a ticket's SLA clock record: started, paused, resumed, due, answered."""
    settings = _settings()
    store = open_settings_store(settings)
    try:
        record = store.clock(str(args.ticket))
    finally:
        store.close()
    if record is None:
        _fail(f"no SLA clock recorded for ticket {args.ticket} in {settings.store}")
    policy = _policy(settings.policy)
    print(describe_clock(record, policy.zone, datetime.now(UTC)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """SLA compliance for a month, per client and tier, from the recorded clocks."""
    settings = _settings()
    policy = _policy(settings.policy)
    try:
        month_bounds(args.month, policy.zone)
    except ValueError:
        _fail(f"--month must be a month such as 2026-11, not '{args.month}'")
    now = datetime.now(UTC)
    store = open_settings_store(settings)
    try:
        report = monthly_report(store, policy, args.month, now, client=args.client)
    finally:
        store.close()
    if args.format == "csv":
        print(to_csv(report.rows), end="")
    elif args.format == "json":
        print(to_json(report.rows, args.month))
    else:
        # matplotlib is loaded only here: no other command pays for it at start-up.
        from plugin.reports.html import report_page  # noqa: PLC0415

        print(report_page(report, company=policy.company, made=now.astimezone(policy.zone)))
    return 0


def _backtest_command(commands: Any) -> None:
    """The backtest: a policy replayed on past tickets, compared with another if asked."""
    cmd = commands.add_parser(
        "backtest", help="replay a policy on past Zammad tickets, writing nothing (json or html)"
    )
    cmd.add_argument("--since", default="90d", help="window: 90m, 24h, 90d (default 90d)")
    cmd.add_argument(
        "--policy", metavar="NEW.yaml", help="the policy to try (default: WARDEN_POLICY)"
    )
    cmd.add_argument(
        "--against", metavar="CURRENT.yaml", help="list the tickets this policy decides otherwise"
    )
    cmd.add_argument("--format", choices=("json", "html"), default="json")
    cmd.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    cmd.add_argument(
        "--concurrency", type=int, default=4, help="reads in flight at once (default 4)"
    )
    cmd.add_argument(
        "--limit", type=int, default=20_000, help="read at most this many tickets (20000)"
    )
    cmd.set_defaults(handler=cmd_backtest)


def _zammad_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="Zammad's base URL (default: WARDEN_ZAMMAD_URL)")
    parser.add_argument("--token", help="an admin's API token (default: WARDEN_ZAMMAD_TOKEN)")


def _sla_commands(commands: Any) -> None:
    """The commands that read the SLA clocks' records: one ticket's, a month's report."""
    sla_cmd = commands.add_parser(
        "sla", help="print a ticket's SLA clock: when it ran, paused, moved, was answered"
    )
    sla_cmd.add_argument("ticket", help="the ticket's id in the helpdesk")
    sla_cmd.set_defaults(handler=cmd_sla)

    report_cmd = commands.add_parser(
        "report", help="SLA compliance for a month, per client and tier (csv, json or html)"
    )
    report_cmd.add_argument("--month", required=True, help="the month, e.g. 2026-11")
    report_cmd.add_argument("--client", help="one client (its name in the policy)")
    report_cmd.add_argument("--format", choices=("csv", "json", "html"), default="csv")
    report_cmd.set_defaults(handler=cmd_report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ticket-warden",
        description="A chat-free policy bot for helpdesks (Zammad first).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    evaluate_cmd = commands.add_parser(
        "evaluate", help="print the decision for one Zammad webhook payload as JSON"
    )
    evaluate_cmd.add_argument(
        "payload", metavar="PAYLOAD.json", help="payload file, or - for stdin"
    )
    evaluate_cmd.add_argument("--policy", metavar="FILE", help="policy YAML (default: built-in)")
    evaluate_cmd.set_defaults(handler=cmd_evaluate)

    check_cmd = commands.add_parser(
        "check", help="validate a policy file, and the Zammad installation when configured"
    )
    check_cmd.add_argument("--policy", metavar="FILE", help="policy YAML (default: built-in)")
    _zammad_arguments(check_cmd)
    check_cmd.set_defaults(handler=cmd_check)

    install_cmd = commands.add_parser(
        "install", help="create or update in Zammad what the manifest lists (idempotent)"
    )
    _zammad_arguments(install_cmd)
    install_cmd.add_argument(
        "--policy", metavar="FILE", help="policy YAML (default: WARDEN_POLICY)"
    )
    install_cmd.add_argument("--webhook-url", help="where the helpdesk reaches ticket-warden")
    install_cmd.add_argument(
        "--helpdesk",
        choices=["zammad", "django-helpdesk"],
        help="which helpdesk (default: WARDEN_HELPDESK, else zammad)",
    )
    install_cmd.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    install_cmd.add_argument(
        "--update-secret",
        action="store_true",
        help="send the webhook secret again (after a change)",
    )
    install_cmd.set_defaults(handler=cmd_install)

    uninstall_cmd = commands.add_parser("uninstall", help="remove what install made from Zammad")
    _zammad_arguments(uninstall_cmd)
    uninstall_cmd.add_argument(
        "--policy", metavar="FILE", help="policy YAML (default: WARDEN_POLICY)"
    )
    uninstall_cmd.add_argument("--dry-run", action="store_true", help="list, delete nothing")
    uninstall_cmd.add_argument(
        "--keep-attribute", action="store_true", help="keep the due-date attribute and its values"
    )
    uninstall_cmd.set_defaults(handler=cmd_uninstall)

    serve_cmd = commands.add_parser(
        "serve", help="run the webhook receiver and a worker (settings from WARDEN_* variables)"
    )
    serve_cmd.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (0 picks a free one)")
    serve_cmd.set_defaults(handler=cmd_serve)

    worker_cmd = commands.add_parser("worker", help="run queue workers only")
    worker_cmd.add_argument("--workers", type=int, default=None, help="worker threads")
    worker_cmd.set_defaults(handler=cmd_worker)

    requeue_cmd = commands.add_parser(
        "requeue", help="try a dead delivery again (its id is in the logs and /decisions)"
    )
    requeue_cmd.add_argument("delivery", help="the delivery id (X-Zammad-Delivery)")
    requeue_cmd.set_defaults(handler=cmd_requeue)

    _sla_commands(commands)

    reconcile_cmd = commands.add_parser(
        "reconcile", help="apply customer messages whose webhook never arrived"
    )
    reconcile_cmd.add_argument("--since", default="24h", help="window: 90m, 24h, 7d (default 24h)")
    reconcile_cmd.set_defaults(handler=cmd_reconcile)
    _backtest_command(commands)

    send_cmd = commands.add_parser(
        "send", help="sign a payload with WARDEN_WEBHOOK_SECRET and POST it to a receiver"
    )
    send_cmd.add_argument("payload", metavar="PAYLOAD.json", help="payload file, or - for stdin")
    send_cmd.add_argument(
        "--url",
        default="http://127.0.0.1:8000",
        help="the receiver: a base URL (the webhook route is added) or the full URL",
    )
    send_cmd.add_argument("--delivery", help="X-Zammad-Delivery id (default: a new one)")
    send_cmd.set_defaults(handler=cmd_send)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ticket-warden`` console script."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.handler(args)
    except CliError as exc:
        print(f"ticket-warden: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return status


if __name__ == "__main__":
    sys.exit(main())
