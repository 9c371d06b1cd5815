"""Zammad's seeded lookup rows, with the ids a fresh installation gives them.

Each table follows the seed file named beside it (``zammad/zammad``, read at the
2025/2026 commits). Admins can rename priorities and states, so ticket-warden
itself must not rely on these ids except where Zammad's own seeds and docs do
(article senders and types in trigger conditions).
"""

from __future__ import annotations

# db/seeds/ticket_article_senders.rb
SENDERS = {1: "Agent", 2: "Customer", 3: "System"}

# db/seeds/ticket_article_types.rb: id -> (name, communication)
TYPES = {
    1: ("email", True),
    2: ("sms", True),
    3: ("chat", True),
    4: ("fax", True),
    5: ("phone", True),
    6: ("twitter status", True),
    7: ("twitter direct-message", True),
    8: ("facebook feed post", True),
    9: ("facebook feed comment", True),
    10: ("note", False),
    11: ("web", True),
    12: ("telegram personal-message", True),
    13: ("facebook direct-message", True),
    14: ("whatsapp message", True),
}

# db/seeds/ticket_priorities.rb ("2 normal" is default_create)
PRIORITIES = {1: "1 low", 2: "2 normal", 3: "3 high"}
DEFAULT_PRIORITY = 2

# db/seeds/ticket_states.rb (2026): id -> (name, state type, ignore_escalation)
STATES = {
    1: ("new", "new", False),
    2: ("open", "open", False),
    3: ("pending reminder", "pending reminder", True),
    4: ("closed", "closed", True),
    5: ("merged", "merged", True),
    6: ("pending close", "pending action", True),
}
DEFAULT_CREATE_STATE = 1  # default_create: true
DEFAULT_FOLLOW_UP_STATE = 2  # default_follow_up: true


def sender_id(name: str) -> int | None:
    return next((i for i, n in SENDERS.items() if n == name), None)


def type_id(name: str) -> int | None:
    return next((i for i, (n, _c) in TYPES.items() if n == name), None)


def priority_id(name: str) -> int | None:
    return next((i for i, n in PRIORITIES.items() if n == name), None)


def state_id(name: str) -> int | None:
    return next((i for i, (n, _t, _e) in STATES.items() if n == name), None)


def is_pending(state: int | None) -> bool:
    """app/models/core_workflow/custom/pending_time.rb: a state of type pending reminder
    or pending action."""
    return STATES.get(int(state or 0), ("", "", False))[1] in ("pending reminder", "pending action")


def ignores_escalation(state: int | None) -> bool:
    return STATES.get(int(state or 0), ("", "", False))[2]
