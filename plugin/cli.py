"""The ``ticket-warden`` command line: evaluate a payload, check a policy.

Every failure is one line on stderr and exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from plugin import __version__
from plugin.engine import evaluate
from plugin.errors import PayloadError, PolicyError
from plugin.policy import Policy, load_policy
from plugin.zammad.payload import parse_payload, to_model

EXIT_USAGE = 2


class CliError(Exception):
    """A failure to report as one line and exit status 2."""


def _fail(message: str) -> NoReturn:
    raise CliError(message)


def _policy(path: str | None) -> Policy:
    try:
        return load_policy(path)
    except PolicyError as exc:
        _fail(f"policy: {exc}")


def _read_json(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"cannot read {path}: {exc}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")


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


def cmd_check(args: argparse.Namespace) -> int:
    """Validate a policy file: every problem with its location, or a summary."""
    try:
        policy = load_policy(args.policy)
    except PolicyError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"{count} problem{'s' if count != 1 else ''} found", file=sys.stderr)
        return EXIT_USAGE
    print(policy.summary())
    return 0


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

    check_cmd = commands.add_parser("check", help="validate a policy file")
    check_cmd.add_argument("--policy", metavar="FILE", help="policy YAML (default: built-in)")
    check_cmd.set_defaults(handler=cmd_check)
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
