"""Trigger and SLA conditions, matched in memory as Zammad's SQL would answer them.

Zammad has no in-memory matcher: ``Ticket.selectors`` turns a condition into SQL
(``lib/selector/sql.rb``, ``lib/selector/base.rb``) and asks PostgreSQL whether
the ticket is among the rows. This module evaluates the same query against one
ticket, keeping what the SQL does: three-valued logic with NULL, one row per
joined tag, the INNER JOIN on articles, PostgreSQL's coercion of bound literals
(``'2'`` equals an integer column, ``'abc'`` makes the whole query fail), and
the static conditions Zammad adds for triggers.

A query that would fail (``InvalidCondition``, a PostgreSQL type error, a Ruby
error while building it) matches nothing, as ``Ticket.selectors`` then answers
nil and ``Ticket.perform_triggers`` skips the trigger (``app/models/ticket.rb``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["VALID_OPERATORS", "InvalidCondition", "matches", "validate"]


class InvalidCondition(Exception):  # noqa: N818 - the name the fake's API promises
    """A condition Zammad refuses to save.

    ``app/models/concerns/checks_condition_validation.rb`` (2025): any failure of
    ``Selector::Sql#valid?`` answers 422 "Invalid object selector conditions".
    """


class _QueryError(Exception):
    """The query would not run (Ruby error or PostgreSQL error): no ticket matches."""


# lib/selector/sql.rb (a5c1f29c, 2025): VALID_OPERATORS
VALID_OPERATORS = frozenset(
    {
        "after (absolute)",
        "after (relative)",
        "before (absolute)",
        "before (relative)",
        "contains all not",
        "contains all",
        "contains not",
        "contains one not",
        "contains one",
        "contains",
        "does not match regex",
        "ends with one of",
        "ends with",
        "from (relative)",
        "has changed",
        "has reached warning",
        "has reached",
        "is any of",
        "is in working time",
        "is greater than",
        "is less than",
        "is none of",
        "is not in working time",
        "is not",
        "is set",
        "is",
        "matches regex",
        "not set",
        "starts with one of",
        "starts with",
        "till (relative)",
        "today",
        "within last (relative)",
        "within next (relative)",
    }
)

_INT, _BOOL, _TEXT, _TIME, _DECIMAL, _ARRAY = (
    "integer",
    "boolean",
    "text",
    "time",
    "decimal",
    "array",
)

# db/migrate/20120101000010_create_ticket.rb: the tickets table's columns.
_TICKET_COLUMNS: dict[str, str] = {
    "id": _INT,
    "group_id": _INT,
    "priority_id": _INT,
    "state_id": _INT,
    "organization_id": _INT,
    "number": _TEXT,
    "title": _TEXT,
    "owner_id": _INT,
    "customer_id": _INT,
    "note": _TEXT,
    "first_response_at": _TIME,
    "first_response_escalation_at": _TIME,
    "first_response_in_min": _INT,
    "first_response_diff_in_min": _INT,
    "close_at": _TIME,
    "close_escalation_at": _TIME,
    "close_in_min": _INT,
    "close_diff_in_min": _INT,
    "update_escalation_at": _TIME,
    "update_in_min": _INT,
    "update_diff_in_min": _INT,
    "last_contact_at": _TIME,
    "last_contact_agent_at": _TIME,
    "last_contact_customer_at": _TIME,
    "last_owner_update_at": _TIME,
    "create_article_type_id": _INT,
    "create_article_sender_id": _INT,
    "article_count": _INT,
    "escalation_at": _TIME,
    "pending_time": _TIME,
    "type": _TEXT,
    "time_unit": _DECIMAL,
    "preferences": _TEXT,
    "updated_by_id": _INT,
    "created_by_id": _INT,
    "created_at": _TIME,
    "updated_at": _TIME,
}

# db/migrate/20120101000010_create_ticket.rb: the ticket_articles table's columns.
_ARTICLE_COLUMNS: dict[str, str] = {
    "id": _INT,
    "ticket_id": _INT,
    "type_id": _INT,
    "sender_id": _INT,
    "from": _TEXT,
    "to": _TEXT,
    "cc": _TEXT,
    "subject": _TEXT,
    "reply_to": _TEXT,
    "message_id": _TEXT,
    "message_id_md5": _TEXT,
    "in_reply_to": _TEXT,
    "content_type": _TEXT,
    "references": _TEXT,
    "body": _TEXT,
    "internal": _BOOL,
    "preferences": _TEXT,
    "updated_by_id": _INT,
    "created_by_id": _INT,
    "origin_by_id": _INT,
    "created_at": _TIME,
    "updated_at": _TIME,
}

_TAG_OPERATORS = frozenset({"contains all", "contains one", "contains all not", "contains one not"})

Truth = bool | None  # SQL's three values: None is NULL (unknown)
Row = str | None  # the tag name the LEFT JOIN on tags put in this row, if any
Pred = Callable[[Row], Truth]


# -- SQL three-valued logic -----------------------------------------------------------


def _and(values: Sequence[Truth]) -> Truth:
    if any(value is False for value in values):
        return False
    return None if any(value is None for value in values) else True


def _or(values: Sequence[Truth]) -> Truth:
    if any(value is True for value in values):
        return True
    return None if any(value is None for value in values) else False


def _not(value: Truth) -> Truth:
    return None if value is None else not value


def _const(value: Truth) -> Pred:
    return lambda _row: value


# -- Ruby helpers ---------------------------------------------------------------------


def _blank(value: Any) -> bool:
    """ActiveSupport's ``blank?``."""
    if value is None or value is False:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict):
        return not value
    return False


def _wrap(value: Any) -> list[Any]:
    """ActiveSupport's ``Array.wrap``."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _ruby_split_commas(text: str) -> list[str]:
    """Ruby's ``text.split(',').collect(&:strip)`` (trailing empty fields dropped first)."""
    parts = text.split(",")
    while parts and parts[-1] == "":
        parts.pop()
    return [part.strip() for part in parts]


def _ruby_to_i(value: Any) -> int:
    """Ruby's ``to_i`` on what a condition's value may be."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _QueryError(f"undefined method to_i for {value!r}")
    if isinstance(value, int | float):
        return int(value)
    found = re.match(r"\s*([+-]?\d[\d_]*)", value)
    return int(found.group(1).replace("_", "")) if found else 0


# -- PostgreSQL coercion of bound literals ----------------------------------------------


def _pg_bool(text: str) -> bool:
    """PostgreSQL's boolean input (``boolin``): words, their unique prefixes, 1/0."""
    word = text.strip().lower()
    if word in ("1", "0"):
        return word == "1"
    if word and "true".startswith(word):
        return True
    if word and "false".startswith(word):
        return False
    if word and "yes".startswith(word):
        return True
    if word and "no".startswith(word):
        return False
    if len(word) >= 2 and "on".startswith(word):
        return True
    if len(word) >= 2 and "off".startswith(word):
        return False
    raise _QueryError(f'invalid input syntax for type boolean: "{text}"')


def _pg_time(text: str) -> datetime:
    """A timestamp literal cast to ``timestamp without time zone``: any offset is ignored."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise _QueryError(f'invalid input syntax for type timestamp: "{text}"') from error
    return moment.replace(tzinfo=None)


def _naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _cast(kind: str | None, value: Any) -> Any:
    """One bound value as PostgreSQL compares it with a column of ``kind``.

    Rails quotes Strings as untyped literals (coerced to the column's type, or an
    error), Integers as numbers, true/false as booleans, nil as NULL, and cannot
    quote an Array or Hash inside the list (``ActiveRecord::Sanitization``).
    """
    if value is None:
        return None
    if isinstance(value, list | tuple | dict):
        raise _QueryError(f"can't quote {type(value).__name__}")
    if kind is None:  # guess: a custom column whose type the fake cannot see
        return value
    if kind in (_INT, _DECIMAL):
        if isinstance(value, bool):
            raise _QueryError(f"operator does not exist: {kind} = boolean")
        if isinstance(value, int | float):
            return value
        text = str(value).strip()
        if kind == _INT and re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if kind == _DECIMAL:
            try:
                return Decimal(text)
            except InvalidOperation:
                pass
        raise _QueryError(f'invalid input syntax for type {kind}: "{value}"')
    if kind == _BOOL:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return _pg_bool(value)
        raise _QueryError("operator does not exist: boolean = integer")
    if kind == _TIME:
        if isinstance(value, datetime):
            return _naive_utc(value)
        if isinstance(value, str):
            return _pg_time(value)
        raise _QueryError(f"operator does not exist: timestamp = {type(value).__name__}")
    if kind == _TEXT:
        if isinstance(value, str):
            return value
        raise _QueryError(f"operator does not exist: character varying = {type(value).__name__}")
    raise _QueryError(f"cannot compare an {kind} column with {value!r}")


def _kind_of(value: Any) -> str | None:
    """Guess: a custom column's type, from the Python value the fake holds."""
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, int):
        return _INT
    if isinstance(value, float | Decimal):
        return _DECIMAL
    if isinstance(value, str):
        return _TEXT
    if isinstance(value, datetime):
        return _TIME
    if isinstance(value, list | tuple):
        return _ARRAY
    return None


def _column_value(kind: str | None, raw: Any) -> Any:
    if raw is None:
        return None
    if kind == _TIME and isinstance(raw, datetime):
        return _naive_utc(raw)
    if kind == _TIME and isinstance(raw, str):
        return _pg_time(raw)
    if kind == _DECIMAL and isinstance(raw, int | float | str) and not isinstance(raw, bool):
        return Decimal(str(raw))
    return raw


def _in(column: Any, binds: Sequence[Any]) -> Truth:
    """``column IN (binds)``."""
    if column is None:
        return None
    if any(bind is not None and column == bind for bind in binds):
        return True
    return None if any(bind is None for bind in binds) else False


def _like(column: Any, needle: str, *, start: bool, end: bool) -> Truth:
    """``column ILIKE pattern``.

    ``db_like`` is ILIKE on PostgreSQL (config/initializers/db_preferences_postgresql.rb).
    """
    if column is None:
        return None
    text, part = str(column).lower(), needle.lower()
    if start:
        return text.startswith(part)
    if end:
        return text.endswith(part)
    return part in text


def _compare(column: Any, bind: Any, operator: Callable[[Any, Any], bool]) -> Truth:
    if column is None or bind is None:
        return None
    try:
        return operator(column, bind)
    except TypeError as error:
        raise _QueryError(str(error)) from error


# -- the query ------------------------------------------------------------------------


@dataclass
class _Options:
    """``Selector::Base#options`` as ``Ticket.perform_triggers`` (or ``valid?``) passes them."""

    validating: bool
    ticket: Mapping[str, Any]
    article: Mapping[str, Any] | None
    tags: frozenset[str]
    action: str | None
    changes_required: bool
    current_user_id: Any
    now: datetime
    changed_attributes: set[str] = field(default_factory=set)
    joins: set[str] = field(default_factory=set)

    @property
    def article_key(self) -> bool:
        # lib/selector/sql.rb: options.key?(:article_id); perform_triggers always passes it,
        # Selector::Sql#valid? never does.
        return not self.validating


def _migrate(selector: Any) -> dict[str, Any]:
    """``Selector::Base.migrate_selector``: the flat hash becomes one AND block."""
    if not isinstance(selector, Mapping):
        raise _QueryError(f"undefined method deep_symbolize_keys for {selector!r}")
    if selector.get("conditions") is not None:
        return dict(selector)
    conditions = []
    for key, value in selector.items():
        if not isinstance(value, Mapping):
            raise _QueryError(f"no implicit conversion of {type(value).__name__} into Hash")
        conditions.append({"name": str(key), **value})
    return {"operator": "AND", "conditions": conditions}


def _attribute_exists(name: str, conditions: Any) -> bool:
    """``Selector::Base#attribute_exists?``: the name is used anywhere, nested blocks included."""
    if not isinstance(conditions, list | tuple):
        raise _QueryError("conditions is not a list")
    found = False
    for condition in conditions:
        if not isinstance(condition, Mapping):
            raise _QueryError(f"undefined method key? for {condition!r}")
        if "conditions" in condition:
            found = _attribute_exists(name, condition["conditions"]) or found
        elif condition.get("name") == name:
            found = True
    return found


def _static_conditions(options: _Options) -> list[dict[str, Any]]:
    """``Selector::Base#set_static_conditions`` for tickets."""
    result: list[dict[str, Any]] = []
    ticket_id = options.ticket.get("id") if not options.validating else 1
    if not _blank(ticket_id):
        result.append({"name": "ticket.id", "operator": "is", "value": ticket_id})
    if options.article is not None and not _blank(options.article.get("id")):
        result.append({"name": "article.id", "operator": "is", "value": options.article["id"]})
    # lib/selector/base.rb static_conditions_ticket_update (issue #4550)
    if options.action == "update" and options.changes_required:
        result.append({"name": "ticket.action", "operator": "is", "value": "update"})
    return result


def _prepare(selector: Any, options: _Options, changed: Collection[str]) -> dict[str, Any]:
    """``Selector::Base#initialize``: migrate, add static conditions, note changed attributes."""
    block = _migrate(copy.deepcopy(selector))
    statics = _static_conditions(options)
    if statics:
        block = {"operator": "AND", "conditions": [*statics, block]}
    conditions = block["conditions"]
    # lib/selector/base.rb check_changes
    if options.article is not None and _attribute_exists("article.id", conditions):
        options.changed_attributes.add("article")
    for key in changed:
        if _attribute_exists(f"ticket.{key}", conditions):
            options.changed_attributes.add(f"ticket.{key}")
    return block


def _run(block: Any, options: _Options) -> Pred | None:
    """``Selector::Sql#run``: a block of conditions, or one condition; None if it adds no SQL."""
    if not isinstance(block, Mapping):
        raise _QueryError(f"undefined method key? for {block!r}")
    if "conditions" not in block:
        return _condition(block, options)
    subs = block["conditions"]
    if not isinstance(subs, list | tuple):
        raise _QueryError("conditions is not a list")
    # lib/selector/sql.rb run_block: compact, skip an empty block
    preds = [pred for sub in subs if (pred := _run(sub, options)) is not None]
    if not preds:
        return None
    operator = block.get("operator")
    if operator == "NOT":  # "NOT(a AND b)"
        return lambda row: _not(_and([pred(row) for pred in preds]))
    if len(preds) == 1:  # "(a)" whatever the operator says
        return preds[0]
    word = operator.strip().upper() if isinstance(operator, str) else ""
    if word == "AND":
        return lambda row: _and([pred(row) for pred in preds])
    if word == "OR":
        return lambda row: _or([pred(row) for pred in preds])
    raise _QueryError(f"syntax error at or near {operator!r}")  # joined into the SQL as is


def _validate_operator(condition: Mapping[str, Any]) -> str:
    """``Selector::Sql#validate_operator!`` (raises RuntimeError, not InvalidCondition)."""
    operator = condition.get("operator")
    if _blank(operator):
        raise _QueryError(f"Invalid condition, operator missing {condition!r}")
    if operator not in VALID_OPERATORS:
        raise _QueryError(f"Invalid condition, operator '{operator}' is invalid {condition!r}")
    return str(operator)


def _validate_pre_condition(condition: Mapping[str, Any], operator: str) -> None:
    """``validate_pre_condition_blank!`` then ``validate_pre_condition_values!`` (sql.rb)."""
    pre = condition.get("pre_condition")
    if operator not in (
        {"has changed", "has reached", "has reached warning"}
        | {"is any of", "is none of", "is set", "not set"}
    ):
        value = condition.get("value")
        if (
            (operator != "today" and "value" not in condition)
            or (isinstance(value, list) and not value)
            or (operator.startswith("contains") and _blank(value))
        ):
            if pre is None:
                raise InvalidCondition(f"Invalid condition pre_condition nil {condition!r}")
            if _blank(pre):
                raise InvalidCondition(f"Invalid condition pre_condition blank {condition!r}")
            if pre == "specific":
                raise InvalidCondition(f"Invalid condition pre_condition specific {condition!r}")
    if operator in ("has changed", "has reached", "has reached warning") or _blank(pre):
        return
    if not isinstance(pre, str):
        raise _QueryError(f"undefined method start_with? for {pre!r}")
    if not pre.startswith(("not_set", "current_user.", "specific")):
        raise InvalidCondition(f"Invalid condition pre_condition not set {condition!r}")


def _column(options: _Options, table: str, attribute: str) -> tuple[str | None, Callable[[], Any]]:
    """The column's type and a reader of its value (on the ticket, or the triggering article)."""
    known = _TICKET_COLUMNS if table == "ticket" else _ARTICLE_COLUMNS
    record: Mapping[str, Any] = options.ticket if table == "ticket" else (options.article or {})
    if attribute in known:
        kind: str | None = known[attribute]
    elif options.validating:
        kind = None  # guess: a custom attribute column; its type is unknown at save time
    elif attribute in record:
        kind = _kind_of(record[attribute])
    else:
        # Guess: a column the record lacks does not exist, so PostgreSQL refuses the query.
        raise _QueryError(f"column {table}s.{attribute} does not exist")
    return kind, lambda: _column_value(kind, record.get(attribute))


def _condition(condition: Mapping[str, Any], options: _Options) -> Pred | None:
    """``Selector::Sql#condition_sql`` for one condition."""
    if not condition:
        raise InvalidCondition(f"No block condition {condition!r}")
    name = condition.get("name")
    if _blank(name):
        raise InvalidCondition(f"No block condition name {condition!r}")
    if not isinstance(name, str):
        raise _QueryError(f"undefined method split for {name!r}")
    parts = name.split(".")
    while parts and parts[-1] == "":  # Ruby's split drops trailing empty fields
        parts.pop()
    if len(parts) < 2:
        return None  # `return if !attribute_name`: the condition adds nothing
    table, attribute = parts[0], parts[1]

    if table not in ("ticket", "article"):
        # lib/selector/sql.rb joins customer/organization/owner/ticket_state and raises
        # "invalid selector" for anything else; guess: the fake models ticket and article only.
        raise InvalidCondition(f"the fake cannot match {table}.* conditions ({name})")
    if table == "article" and attribute != "action":
        options.joins.add("article")  # INNER JOIN ticket_articles articles

    operator = _validate_operator(condition)
    _validate_pre_condition(condition, operator)
    value = condition.get("value")

    tag_names: list[str] = []
    if table == "ticket" and attribute == "tags":
        if not isinstance(value, str):
            raise _QueryError(f"undefined method strip/split for {value!r}")  # Array#split, nil
        tag_names = _ruby_split_commas(value)
        if operator == "contains all" and len(tag_names) == 1:
            operator = "contains one"  # lib/selector/sql.rb: left join instead of sub select

    # lib/selector/sql.rb: `article.*` is '1 = 0' without an article, even 'is not'.
    if (
        table == "article"
        and attribute != "action"
        and options.article_key
        and options.article is None
    ):
        return _const(False)
    if "in working time" in operator:
        # lib/selector/sql.rb: '1 = 0' only when a Calendar with that id is out of hours;
        # guess: the selector sees no calendars, so '1 = 1'.
        return _const(True)
    if operator == "has changed":
        return _const(name in options.changed_attributes)
    if operator in ("has reached", "has reached warning"):
        return _const(_time_based(name, options.action, warning=operator == "has reached warning"))
    if table == "ticket" and attribute == "action":
        check = options.action == value
        # lib/selector/sql.rb update_action_requires_changed_attributes? (`check` is 0/1, truthy)
        if value == "update" and options.changes_required and not options.changed_attributes:
            return _const(False)
        return _const(check if operator == "is" else not check)
    if table == "article" and attribute == "action":
        present = options.article is not None
        return _const(present if operator == "is" else not present)
    if table == "article" and attribute == "time_accounting":
        # Guess: the article's accounted time, if the fake keeps one, is its `time_unit`.
        accounted = options.article is not None and options.article.get("time_unit") is not None
        return _const(accounted if operator == "is set" else not accounted)
    if table == "ticket" and attribute in ("mention_user_ids", "out_of_office_replacement_id"):
        raise NotImplementedError(f"the fake does not model {name}")

    if table == "ticket" and attribute == "tags":
        if operator not in _TAG_OPERATORS:
            raise _QueryError("column tickets.tags does not exist")
        return _tags(operator, tag_names, options)

    kind, read = _column(options, table, attribute)
    return _operator(operator, condition, value, kind, read, attribute, options)


def _time_based(name: str, action: str | None, *, warning: bool) -> bool:
    """``Selector::Sql#time_based_trigger?``."""
    if name == "ticket.pending_time" and action == "reminder_reached":
        return True
    if name == "ticket.escalation_at" and action == "escalation":
        return not warning
    if name == "ticket.escalation_at" and action == "escalation_warning":
        return warning
    return False


def _tags(operator: str, names: list[str], options: _Options) -> Pred:
    """The four tag operators of lib/selector/sql.rb (exact, case-sensitive names)."""
    held = options.tags
    # `tag_items.name IN (?) GROUP BY tags.o_id HAVING COUNT(*) = n`, n counting duplicates too
    has_all = bool(names) and sum(1 for tag in held if tag in names) == len(names)
    if operator == "contains all":
        return _const(has_all)
    if operator == "contains all not":
        return _const(not has_all)
    if operator == "contains one not":
        return _const(not any(tag in names for tag in held))
    # contains one: LEFT JOIN tags/tag_items, `tag_items.name IN (?)` on each joined row
    options.joins.add("tags")
    binds: list[Any] = list(names) or [None]  # Rails quotes [] as NULL
    return lambda row: _in(row, binds)


def _operator(
    operator: str,
    condition: Mapping[str, Any],
    value: Any,
    kind: str | None,
    read: Callable[[], Any],
    attribute: str,
    options: _Options,
) -> Pred:
    """The generic column operators of ``Selector::Sql#condition_sql``."""
    pre = condition.get("pre_condition")

    def like(needle: Any, *, start: bool = False, end: bool = False, negate: bool = False) -> Pred:
        if not isinstance(needle, str):
            # ApplicationModel.sanitize_sql_like calls gsub on the value
            raise _QueryError(f"undefined method gsub for {needle!r}")
        if kind not in (None, _TEXT):
            raise _QueryError(f"operator does not exist: {kind} ~~* unknown")

        def pred(_row: Row) -> Truth:
            column = read()
            hit = _like(column, needle, start=start, end=end)
            # "attr NOT ILIKE (?) OR attr IS NULL" (issue #4948)
            return (column is None or _not(hit)) if negate else hit

        return pred

    if operator == "starts with":
        return like(value, start=True)
    if operator == "ends with":
        return like(value, end=True)
    if operator in ("starts with one of", "ends with one of"):
        values = _wrap(value)
        if not values:
            raise _QueryError("syntax error: empty condition")  # no sub query, empty SQL
        start = operator.startswith("starts")
        preds = [like(item, start=start, end=not start) for item in values]
        return lambda row: _or([pred(row) for pred in preds])
    if operator in ("is any of", "is none of"):
        values = _wrap(value) or [""]
        binds = [_cast(kind, item) for item in values]
        if operator == "is any of":  # "(attr IN (?) OR attr IN (?) ...)"
            return lambda _row: _or([_in(read(), [bind]) for bind in binds])
        return lambda _row: _and([_not(_in(read(), [bind])) for bind in binds])

    if operator in ("is", "is not"):
        return _is(operator == "is", pre, value, kind, read, attribute, options)

    if operator == "contains":
        return like(value)
    if operator == "contains not":
        return like(value, negate=True)
    if operator in ("matches regex", "does not match regex"):
        return _regex(value, kind, read, negate=operator == "does not match regex")
    if operator in _TAG_OPERATORS:
        return _array(operator, value, kind, read)
    if operator in ("is set", "not set"):
        # only article.time_accounting knows them; anything else reaches the final raise
        raise _QueryError(f"Invalid operator '{operator}' for {value!r}")
    if operator in ("is less than", "is greater than"):
        bind = _cast(kind, value)
        less = operator == "is less than"
        return lambda _row: _compare(
            read(), bind, (lambda a, b: a < b) if less else (lambda a, b: a > b)
        )
    return _dates(operator, condition, value, kind, read, options)


def _is(
    positive: bool,
    pre: Any,
    value: Any,
    kind: str | None,
    read: Callable[[], Any],
    attribute: str,
    options: _Options,
) -> Pred:
    """``is`` / ``is not``, with their pre_conditions (lib/selector/sql.rb)."""
    if kind == _ARRAY:
        raise NotImplementedError("the fake does not model multi-select (array) columns")
    if pre == "not_set":
        system = bool(re.match(r"(created_by|updated_by|owner|customer|user)_id", attribute))
        if positive:  # "(attr IS NULL OR attr IN (1))" for user columns, else "attr IS NULL"
            return lambda _row: read() is None or (system and read() == 1)
        return lambda _row: read() is not None and not (system and read() == 1)
    if pre == "current_user.id":
        if positive and options.current_user_id is None:
            raise _QueryError("Use current_user.id in block_condition, but no current_user is set")
        binds = [_cast(kind, options.current_user_id)]
    elif pre == "current_user.organization_id":
        raise NotImplementedError(
            "the fake's selector does not know the current user's organizations"
        )
    elif value is None:
        return (lambda _row: read() is None) if positive else (lambda _row: read() is not None)
    else:
        values = _wrap(value)
        binds = [_cast(kind, item) for item in values] or [None]  # Rails quotes [] as NULL
        if "" in values:
            if positive:  # "(attr IN (?) OR attr IS NULL)"
                return lambda _row: _or([_in(read(), binds), read() is None])
            # "(attr IS NOT NULL AND attr NOT IN (?))"
            return lambda _row: _and([read() is not None, _not(_in(read(), binds))])
    if positive:
        return lambda _row: _in(read(), binds)
    # "(attr IS NULL OR attr NOT IN (?))": `is not` matches NULL
    return lambda _row: _or([read() is None, _not(_in(read(), binds))])


def _regex(value: Any, kind: str | None, read: Callable[[], Any], *, negate: bool) -> Pred:
    """``attr ~* (?)`` / ``attr !~* (?)`` (app/lib/sql_helper.rb regex_match on PostgreSQL)."""
    if kind not in (None, _TEXT):
        raise _QueryError(f"operator does not exist: {kind} ~* unknown")
    try:
        pattern = re.compile(str(value), re.IGNORECASE)  # guess: Python's re for POSIX regex
    except re.error as error:
        raise _QueryError(f"invalid regular expression: {error}") from error

    def pred(_row: Row) -> Truth:
        column = read()
        if column is None:
            return None
        found = pattern.search(str(column)) is not None
        return not found if negate else found

    return pred


def _array(operator: str, value: Any, kind: str | None, read: Callable[[], Any]) -> Pred:
    """``contains all/one (not)`` on a varchar[] column (SqlHelper#array_contains_*)."""
    if kind != _ARRAY:
        # SqlHelper#containable? is false: no SQL is added, the joined query is broken
        raise _QueryError(f"{operator} needs an array column")
    values = [str(item) for item in (_wrap(value) if not _blank(value) else [""])]

    def pred(_row: Row) -> Truth:
        column = read()
        if column is None:
            return None
        held = {str(item) for item in column}
        hit = (
            all(v in held for v in values) if "all" in operator else any(v in held for v in values)
        )
        return not hit if operator.endswith(" not") else hit

    return pred


# ActiveSupport::Duration units an Integer answers to (months and years are calendar ones)
_UNITS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
    "fortnight": 1209600,
}


def _shift(moment: datetime, count: int, unit: str) -> datetime:
    """ActiveSupport's ``count.<unit>s.from_now`` from ``moment`` (months/years by calendar)."""
    if unit in _UNITS:
        return moment + timedelta(seconds=count * _UNITS[unit])
    months = count * (12 if unit == "year" else 1)
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_first = date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_first - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def _dates(
    operator: str,
    condition: Mapping[str, Any],
    value: Any,
    kind: str | None,
    read: Callable[[], Any],
    options: _Options,
) -> Pred:
    """The date operators of lib/selector/sql.rb, against ``options.now`` (UTC)."""
    if kind not in (None, _TIME):
        raise _QueryError(f"operator does not exist: {kind} <= timestamp")
    now = _naive_utc(options.now)

    def between(low: datetime, high: datetime) -> Pred:
        return lambda _row: _and(
            [
                _compare(read(), low, lambda a, b: a >= b),
                _compare(read(), high, lambda a, b: a <= b),
            ]
        )

    def at_most(bound: Any) -> Pred:
        return lambda _row: _compare(read(), bound, lambda a, b: a <= b)

    def at_least(bound: Any) -> Pred:
        return lambda _row: _compare(read(), bound, lambda a, b: a >= b)

    if operator == "today":
        # guess: Setting 'timezone_default' is UTC in the fake
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return between(start, start + timedelta(days=1) - timedelta(microseconds=1))
    if operator == "before (absolute)":
        return at_most(_cast(_TIME, value))
    if operator == "after (absolute)":
        return at_least(_cast(_TIME, value))

    # Selector::Sql#range: value.to_i.send(range.pluralize), any error -> 'unknown selector'
    unit = condition.get("range")
    if not isinstance(unit, str) or unit not in (*_UNITS, "month", "year"):
        raise _QueryError("unknown selector")
    count = _ruby_to_i(value)
    ago, ahead = _shift(now, -count, unit), _shift(now, count, unit)
    if operator == "within last (relative)":
        return between(ago, now)
    if operator == "within next (relative)":
        return between(now, ahead)
    if operator == "before (relative)":
        return at_most(ago)
    if operator == "after (relative)":
        return at_least(ahead)
    if operator == "till (relative)":
        return at_most(ahead)
    if operator == "from (relative)":
        return at_least(ago)
    raise _QueryError(f"Invalid operator '{operator}' for {value!r}")


# -- public API -----------------------------------------------------------------------


def validate(condition: Mapping[str, Any]) -> None:
    """Raise InvalidCondition for a condition Zammad refuses to save.

    As ``ChecksConditionValidation`` (2025) does it: ``Selector::Sql#valid?`` builds the
    query for ticket 1 with no ticket action and no article key, and any failure is a
    refusal (unknown operator, ``is`` with ``[]`` and no pre_condition, a ``ticket.tags``
    value that is not a String, a literal PostgreSQL cannot cast to a known column).
    """
    options = _Options(
        validating=True,
        ticket={},
        article=None,
        tags=frozenset(),
        action=None,
        changes_required=False,
        current_user_id=1,  # User.find(1)
        now=datetime.now(UTC),
    )
    try:
        _run(_prepare(condition, options, ()), options)
    except InvalidCondition:
        raise
    except (_QueryError, NotImplementedError) as error:
        raise InvalidCondition(str(error)) from error


def matches(
    condition: Mapping[str, Any],
    *,
    ticket: Mapping[str, Any],
    article: Mapping[str, Any] | None,
    tags: Sequence[str],
    action: str,
    changed: Collection[str],
    changes_required: bool,
    now: datetime | None = None,
) -> bool:
    """Whether ``Ticket.selectors`` (as ``Ticket.perform_triggers`` calls it) finds this ticket.

    ``action`` is the item's type ('create', 'update', ...), ``changed`` the ticket
    columns changed in the transaction, ``changes_required`` the trigger's
    ``condition_changes_required?``. A query Zammad could not run matches nothing.
    Raises NotImplementedError for the few things the fake does not model.
    """
    # app/models/ticket.rb perform_triggers: the current user is the article's updater,
    # else the ticket's.
    source = article if article is not None else ticket
    options = _Options(
        validating=False,
        ticket=ticket,
        article=article,
        tags=frozenset(tags),
        action=action,
        changes_required=changes_required,
        current_user_id=source.get("updated_by_id", source.get("created_by_id")),
        now=now or datetime.now(UTC),
    )
    try:
        pred = _run(_prepare(condition, options, changed), options)
    except (InvalidCondition, _QueryError):
        return False

    # The rows the joins give: one per tag with the LEFT JOIN on tags (one NULL row without
    # tags); the INNER JOIN on articles keeps the triggering article (static article.id) or,
    # without one, every article of the ticket. Guess: `article_count` 0 means none.
    rows: list[Row] = [None]
    if "tags" in options.joins:
        rows = [*sorted(options.tags)] or [None]
    if "article" in options.joins and article is None and ticket.get("article_count") == 0:
        rows = []
    if pred is None:  # an empty query: `where('')` keeps every row
        return bool(rows)
    try:
        return any(pred(row) is True for row in rows)
    except _QueryError:
        return False
