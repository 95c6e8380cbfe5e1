"""Salesforce formulas, as validation rules use them: parse, check, evaluate.

``compile_formula(text, schema, catalog)`` tokenizes and parses the text
(recursive descent), then binds it to the object: every field reference is
resolved (case-insensitive, through parent relationships such as
``Account__r.Region__c``), every function is known and called with the right
number and types of arguments, and picklist fields appear only where the
platform allows them. Anything wrong raises ``FormulaError`` at once, so a
bad rule fails when it is loaded, never when a record is written.

``Formula.evaluate(scope)`` runs the bound tree over a record after the
write and, for ISCHANGED, PRIORVALUE and ISNEW, the record before it.

Semantics follow the platform where it matters for validation rules: a
blank text field is the empty string (so ``ISNULL`` of text is FALSE),
other blank values are null, arithmetic and ordering with null give null,
text comparison is case-sensitive, dates compare as dates, and AND / OR /
IF evaluate lazily. A division by zero or a VALUE of non-numeric text gives
null where the platform shows ``#Error!``; a null condition does not fire.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from handoff.ops.sandbox.salesforce.schema import (
    NUMERIC_TYPES,
    Catalog,
    FieldSchema,
    ObjectSchema,
)
from handoff.ops.sandbox.salesforce.values import parse_datetime

__all__ = ["Formula", "FormulaError", "Scope", "compile_formula"]

Record = dict[str, Any]

# Result types of bound expressions.
NUMBER, TEXT, BOOLEAN = "Number", "Text", "Boolean"
DATE, DATETIME, PICKLIST, NULL = "Date", "DateTime", "Picklist", "Null"

TOKEN = re.compile(
    r"""
    (?P<space>\s+|/\*.*?\*/)
  | (?P<number>\d+(?:\.\d*)?|\.\d+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_$][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>==|!=|<>|<=|>=|&&|\|\||[-+*/^&=<>!(),])
    """,
    re.VERBOSE | re.DOTALL,
)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
COMPARISONS = ("=", "==", "!=", "<>", "<", ">", "<=", ">=")


class FormulaError(ValueError):
    """A formula that does not parse, or does not fit the object it is on."""


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind, text and offset in the formula."""

    kind: str
    text: str
    at: int


@dataclass
class Scope:
    """What a formula is evaluated against.

    ``record`` holds the values after the write, ``prior`` those before it
    (None while the record is created); ``lookup`` finds any record by ID
    for parent paths; ``now`` is the org's clock.
    """

    record: Record
    prior: Record | None
    lookup: Callable[[str], Record | None]
    now: dt.datetime


# --- tokens -------------------------------------------------------------------


def tokenize(text: str) -> list[Token]:
    """The tokens of a formula, ending with an ``end`` token."""
    tokens: list[Token] = []
    at = 0
    while at < len(text):
        match = TOKEN.match(text, at)
        if match is None:
            raise FormulaError(f"Syntax error. Unexpected {text[at]!r} at {at}.")
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(Token(kind, match.group(), at))
        at = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), body)


# --- syntax tree ----------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    """A number, text, boolean or NULL constant."""

    value: Any
    type: str


@dataclass(frozen=True)
class FieldRef:
    """A field path as written, e.g. ``Account__r.Region__c``."""

    path: str
    at: int


@dataclass(frozen=True)
class Call:
    """A function call, name upper-cased."""

    name: str
    args: tuple[Node, ...]
    at: int


@dataclass(frozen=True)
class Unary:
    """``-x``, ``+x`` or ``!x``."""

    op: str
    operand: Node


@dataclass(frozen=True)
class Binary:
    """An infix operation."""

    op: str
    left: Node
    right: Node


Node = Literal | FieldRef | Call | Unary | Binary

# Binary operator levels, loosest first.
LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",),
    ("&&",),
    COMPARISONS,
    ("&",),
    ("+", "-"),
    ("*", "/"),
)


class Parser:
    """Recursive descent over the tokens of one formula."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0

    def parse(self) -> Node:
        """The whole formula as one expression; FormulaError otherwise."""
        if self.peek().kind == "end":
            raise FormulaError("Syntax error. The formula is empty.")
        node = self.binary(0)
        if self.peek().kind != "end":
            token = self.peek()
            raise FormulaError(f"Syntax error. Extra {token.text!r} at {token.at}.")
        return node

    def peek(self) -> Token:
        """The next token, not consumed."""
        return self.tokens[self.index]

    def take(self) -> Token:
        """Consume and return the next token."""
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        """Consume ``text`` or fail with the platform's 'Missing' message."""
        token = self.take()
        if token.text != text:
            raise FormulaError(f"Syntax error. Missing {text!r} at {token.at}.")

    def binary(self, level: int) -> Node:
        """Left-associative infix operators from ``LEVELS[level]`` down."""
        if level == len(LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while self.peek().kind == "op" and self.peek().text in LEVELS[level]:
            op = self.take().text
            node = Binary(op, node, self.binary(level + 1))
        return node

    def unary(self) -> Node:
        """Prefix ``-``, ``+``, ``!`` and keyword NOT without parentheses."""
        token = self.peek()
        if token.kind == "op" and token.text in ("-", "+", "!"):
            self.take()
            return Unary(token.text, self.unary())
        keyword = token.kind == "name" and token.text.upper() == "NOT"
        if keyword and self.tokens[self.index + 1].text != "(":
            self.take()
            return Unary("!", self.unary())
        return self.power()

    def power(self) -> Node:
        """``x ^ y``, binding tighter than the other operators."""
        node = self.primary()
        if self.peek().text == "^":
            self.take()
            node = Binary("^", node, self.unary())
        return node

    def primary(self) -> Node:
        """A literal, a field, a call or a parenthesised expression."""
        token = self.take()
        if token.kind == "number":
            return Literal(float(token.text), NUMBER)
        if token.kind == "string":
            return Literal(_unquote(token.text), TEXT)
        if token.text == "(":
            node = self.binary(0)
            self.expect(")")
            return node
        if token.kind == "name":
            return self.named(token)
        where = f"at {token.at}" if token.kind != "end" else "at the end"
        raise FormulaError(f"Syntax error. Unexpected {token.text!r} {where}.")

    def named(self, token: Token) -> Node:
        """A keyword constant, a function call or a field reference."""
        upper = token.text.upper()
        if self.peek().text == "(":
            self.take()
            return Call(upper, self.arguments(), token.at)
        if upper in ("TRUE", "FALSE"):
            return Literal(upper == "TRUE", BOOLEAN)
        if upper == "NULL":
            return Literal(None, NULL)
        return FieldRef(token.text, token.at)

    def arguments(self) -> tuple[Node, ...]:
        """Comma-separated arguments up to the closing parenthesis."""
        args: list[Node] = []
        if self.peek().text == ")":
            self.take()
            return ()
        while True:
            args.append(self.binary(0))
            if self.peek().text != ",":
                break
            self.take()
        self.expect(")")
        return tuple(args)


def parse(text: str) -> Node:
    """The syntax tree of a formula; FormulaError when it is malformed."""
    return Parser(text).parse()


# --- binding: fields, functions, types -------------------------------------------


@dataclass(frozen=True)
class Bound:
    """A node with its fields resolved and its result type known."""

    node: Node
    type: str
    field: Path | None = None
    args: tuple[Bound, ...] = ()


@dataclass(frozen=True)
class Path:
    """A resolved field: the relationship hops, then the field itself."""

    hops: tuple[FieldSchema, ...]
    target: FieldSchema


def field_type(spec: FieldSchema) -> str:
    """The formula type of a field of the sandbox's schema."""
    if spec.type in NUMERIC_TYPES:
        return NUMBER
    special = {
        "date": DATE,
        "datetime": DATETIME,
        "boolean": BOOLEAN,
        "picklist": PICKLIST,
    }
    return special.get(spec.type, TEXT)


class Binder:
    """Resolves a syntax tree against one object of a catalog."""

    def __init__(self, schema: ObjectSchema, catalog: Catalog) -> None:
        self.schema = schema
        self.catalog = catalog

    def bind(self, node: Node, *, picklist_ok: bool = False) -> Bound:
        """The bound form of ``node``; FormulaError for anything unknown."""
        if isinstance(node, Literal):
            return Bound(node, node.type)
        if isinstance(node, FieldRef):
            return self._field(node, picklist_ok)
        if isinstance(node, Unary):
            return self._unary(node)
        if isinstance(node, Binary):
            return self._binary(node)
        return self._call(node)

    def _field(self, node: FieldRef, picklist_ok: bool) -> Bound:
        path = self.resolve(node.path)
        kind = field_type(path.target)
        if kind == PICKLIST and not picklist_ok:
            raise FormulaError(
                f"Field {path.target.name} is a picklist field. Picklist fields "
                "are only supported in certain functions."
            )
        return Bound(node, kind, field=path)

    def resolve(self, text: str) -> Path:
        """The hops and field behind a dotted path; FormulaError if unknown."""
        *relations, name = text.split(".")
        schema, hops = self.schema, []
        for relation in relations:
            hop = schema.relationship(relation)
            target = self.catalog.get(hop.reference_to[0]) if hop else None
            if hop is None or target is None:
                raise FormulaError(f"Field {text} does not exist. Check spelling.")
            hops.append(hop)
            schema = target
        spec = schema.field(name)
        if spec is None:
            raise FormulaError(f"Field {text} does not exist. Check spelling.")
        return Path(tuple(hops), spec)

    def _unary(self, node: Unary) -> Bound:
        operand = self.bind(node.operand)
        wanted = BOOLEAN if node.op == "!" else NUMBER
        _expect_operand(node.op, operand.type, (wanted,))
        return Bound(node, wanted, args=(operand,))

    def _binary(self, node: Binary) -> Bound:
        left, right = self.bind(node.left), self.bind(node.right)
        kind = binary_type(node.op, left.type, right.type)
        return Bound(node, kind, args=(left, right))

    def _call(self, node: Call) -> Bound:
        function = FUNCTIONS.get(node.name)
        if function is None:
            raise FormulaError(f"Unknown function {node.name}. Check spelling.")
        low, high = function.arity
        count = len(node.args)
        if count < low or (high is not None and count > high):
            expected = str(low) if low == high else f"{low} or more"
            raise FormulaError(
                f"Incorrect number of parameters for function '{node.name}()'. "
                f"Expected {expected}, received {count}"
            )
        args = tuple(
            self.bind(arg, picklist_ok=i in function.picklist_args)
            for i, arg in enumerate(node.args)
        )
        return Bound(node, function.check(self, node, args), args=args)


def _expect_operand(op: str, got: str, wanted: Sequence[str]) -> None:
    if got != NULL and got not in wanted:
        raise FormulaError(
            f"Incorrect parameter type for operator '{op}'. Expected "
            f"{', '.join(wanted)}, received {got}"
        )


def _expect_arg(name: str, got: str, wanted: Sequence[str]) -> None:
    if got != NULL and got not in wanted:
        raise FormulaError(
            f"Incorrect parameter type for function '{name}()'. Expected "
            f"{', '.join(wanted)}, received {got}"
        )


def unify(op: str, left: str, right: str) -> str:
    """The common type of two operands, NULL fitting any; or FormulaError."""
    if left == NULL:
        return right
    if right in (NULL, left):
        return left
    raise FormulaError(
        f"Incorrect parameter type for '{op}'. Expected {left}, received {right}"
    )


ARITHMETIC: dict[tuple[str, str, str], str] = {
    ("+", NUMBER, NUMBER): NUMBER,
    ("+", DATE, NUMBER): DATE,
    ("+", DATETIME, NUMBER): DATETIME,
    ("+", TEXT, TEXT): TEXT,
    ("-", NUMBER, NUMBER): NUMBER,
    ("-", DATE, NUMBER): DATE,
    ("-", DATETIME, NUMBER): DATETIME,
    ("-", DATE, DATE): NUMBER,
    ("-", DATETIME, DATETIME): NUMBER,
    ("&", TEXT, TEXT): TEXT,
}


def binary_type(op: str, left: str, right: str) -> str:
    """The result type of an infix operator, or FormulaError."""
    if op in ("&&", "||"):
        _expect_operand(op, left, (BOOLEAN,))
        _expect_operand(op, right, (BOOLEAN,))
        return BOOLEAN
    if op in COMPARISONS:
        common = unify(op, left, right)
        ordered = (NUMBER, TEXT, DATE, DATETIME)
        allowed = (*ordered, BOOLEAN) if op in ("=", "==", "!=", "<>") else ordered
        _expect_operand(op, common, allowed)
        return BOOLEAN
    if op in ("*", "/", "^"):
        _expect_operand(op, left, (NUMBER,))
        _expect_operand(op, right, (NUMBER,))
        return NUMBER
    if NULL in (left, right):
        other = right if left == NULL else left
        return other if other in (NUMBER, TEXT, DATE, DATETIME) else NUMBER
    if (op, left, right) not in ARITHMETIC:
        raise FormulaError(
            f"Incorrect parameter type for operator '{op}'. Received {left} and {right}"
        )
    return ARITHMETIC[(op, left, right)]


# --- functions -------------------------------------------------------------------

Check = Callable[[Binder, Call, tuple[Bound, ...]], str]
Run = Callable[["Evaluator", tuple[Bound, ...]], Any]


@dataclass(frozen=True)
class Function:
    """A formula function: arity, type check and lazy evaluation."""

    arity: tuple[int, int | None]
    check: Check
    run: Run
    picklist_args: frozenset[int] = frozenset()


def _all_boolean(_: Binder, node: Call, args: tuple[Bound, ...]) -> str:
    for arg in args:
        _expect_arg(node.name, arg.type, (BOOLEAN,))
    return BOOLEAN


def _returns(kind: str, *wanted: str) -> Check:
    def check(_: Binder, node: Call, args: tuple[Bound, ...]) -> str:
        for arg in args:
            _expect_arg(node.name, arg.type, wanted)
        return kind

    return check


def _check_if(_: Binder, node: Call, args: tuple[Bound, ...]) -> str:
    _expect_arg(node.name, args[0].type, (BOOLEAN,))
    return unify("IF()", args[1].type, args[2].type)


def _check_blankvalue(_: Binder, node: Call, args: tuple[Bound, ...]) -> str:
    return unify("BLANKVALUE()", args[0].type, args[1].type)


def _check_ispickval(_: Binder, node: Call, args: tuple[Bound, ...]) -> str:
    _expect_arg(node.name, args[0].type, (PICKLIST,))
    if not (isinstance(args[1].node, Literal) and args[1].type == TEXT):
        raise FormulaError(
            "Incorrect parameter type for function 'ISPICKVAL()'. Expected Text "
            f"Literal, received {args[1].type}"
        )
    return BOOLEAN


def _own_field(binder: Binder, node: Call, args: tuple[Bound, ...]) -> Bound:
    arg = args[0]
    if arg.field is None or arg.field.hops:
        raise FormulaError(
            f"Function {node.name} may only be used with a field of the object itself"
        )
    return arg


def _check_ischanged(binder: Binder, node: Call, args: tuple[Bound, ...]) -> str:
    _own_field(binder, node, args)
    return BOOLEAN


def _check_priorvalue(binder: Binder, node: Call, args: tuple[Bound, ...]) -> str:
    return _own_field(binder, node, args).type


def _is_blank(value: Any) -> bool:
    return value is None or value == ""


def _run_and(ev: Evaluator, args: tuple[Bound, ...]) -> bool:
    return all(ev.eval(arg) is True for arg in args)


def _run_or(ev: Evaluator, args: tuple[Bound, ...]) -> bool:
    return any(ev.eval(arg) is True for arg in args)


def _run_not(ev: Evaluator, args: tuple[Bound, ...]) -> bool | None:
    value = ev.eval(args[0])
    return None if value is None else not value


def _run_if(ev: Evaluator, args: tuple[Bound, ...]) -> Any:
    return ev.eval(args[1]) if ev.eval(args[0]) is True else ev.eval(args[2])


def _run_isblank(ev: Evaluator, args: tuple[Bound, ...]) -> bool:
    return _is_blank(ev.eval(args[0]))


def _run_isnull(ev: Evaluator, args: tuple[Bound, ...]) -> bool:
    # Text is never null in a formula: a blank text field is "".
    return args[0].type not in (TEXT, PICKLIST) and ev.eval(args[0]) is None


def _run_blankvalue(ev: Evaluator, args: tuple[Bound, ...]) -> Any:
    value = ev.eval(args[0])
    return ev.eval(args[1]) if _is_blank(value) else value


def _run_ispickval(ev: Evaluator, args: tuple[Bound, ...]) -> bool:
    return bool(ev.eval(args[0]) == ev.eval(args[1]))


def _run_text(ev: Evaluator, args: tuple[Bound, ...]) -> str:
    return as_text(ev.eval(args[0]))


def _run_len(ev: Evaluator, args: tuple[Bound, ...]) -> float:
    return float(len(ev.eval(args[0]) or ""))


def _run_value(ev: Evaluator, args: tuple[Bound, ...]) -> float | None:
    try:
        return float(str(ev.eval(args[0])).strip())
    except ValueError:
        return None


def _run_today(ev: Evaluator, _: tuple[Bound, ...]) -> dt.date:
    return ev.scope.now.date()


def _run_now(ev: Evaluator, _: tuple[Bound, ...]) -> dt.datetime:
    return ev.scope.now


def _run_isnew(ev: Evaluator, _: tuple[Bound, ...]) -> bool:
    return ev.scope.prior is None


def _run_ischanged(ev: Evaluator, args: tuple[Bound, ...]) -> bool:
    if ev.scope.prior is None:
        return False
    return bool(ev.eval(args[0]) != ev.prior(args[0]))


def _run_priorvalue(ev: Evaluator, args: tuple[Bound, ...]) -> Any:
    # On create the platform answers the current value, not null.
    if ev.scope.prior is None:
        return ev.eval(args[0])
    return ev.prior(args[0])


ANY_VALUE = (NUMBER, TEXT, BOOLEAN, DATE, DATETIME, PICKLIST)
FUNCTIONS: dict[str, Function] = {
    "AND": Function((1, None), _all_boolean, _run_and),
    "OR": Function((1, None), _all_boolean, _run_or),
    "NOT": Function((1, 1), _all_boolean, _run_not),
    "IF": Function((3, 3), _check_if, _run_if),
    "ISBLANK": Function(
        (1, 1), _returns(BOOLEAN, *ANY_VALUE), _run_isblank, frozenset({0})
    ),
    "ISNULL": Function(
        (1, 1), _returns(BOOLEAN, *ANY_VALUE), _run_isnull, frozenset({0})
    ),
    "BLANKVALUE": Function((2, 2), _check_blankvalue, _run_blankvalue),
    "ISPICKVAL": Function((2, 2), _check_ispickval, _run_ispickval, frozenset({0})),
    "TEXT": Function(
        (1, 1),
        _returns(TEXT, NUMBER, TEXT, DATE, DATETIME, PICKLIST),
        _run_text,
        frozenset({0}),
    ),
    "LEN": Function((1, 1), _returns(NUMBER, TEXT), _run_len),
    "VALUE": Function((1, 1), _returns(NUMBER, TEXT), _run_value),
    "TODAY": Function((0, 0), _returns(DATE), _run_today),
    "NOW": Function((0, 0), _returns(DATETIME), _run_now),
    "ISNEW": Function((0, 0), _returns(BOOLEAN), _run_isnew),
    "ISCHANGED": Function((1, 1), _check_ischanged, _run_ischanged, frozenset({0})),
    "PRIORVALUE": Function((1, 1), _check_priorvalue, _run_priorvalue, frozenset({0})),
}


# --- evaluation -----------------------------------------------------------------


def as_text(value: Any) -> str:
    """What TEXT() makes of a value: numbers without a needless ``.0``."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def field_value(spec: FieldSchema, raw: Any) -> Any:
    """A stored (JSON-form) value as the formula sees it."""
    kind = field_type(spec)
    if kind in (TEXT, PICKLIST):
        return "" if raw is None else str(raw)
    if kind == BOOLEAN:
        return bool(raw)
    if raw is None:
        return None
    if kind == NUMBER:
        return float(raw)
    if kind == DATE:
        return dt.date.fromisoformat(str(raw)[:10])
    return parse_datetime(str(raw))


class Evaluator:
    """Evaluates one bound tree against one scope."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def eval(self, bound: Bound) -> Any:
        """The value of a bound node (None for null)."""
        node = bound.node
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, FieldRef):
            assert bound.field is not None
            return self.read(bound.field, self.scope.record)
        if isinstance(node, Unary):
            return self._unary(node.op, self.eval(bound.args[0]))
        if isinstance(node, Binary):
            return self._binary(node.op, bound.args)
        return FUNCTIONS[node.name].run(self, bound.args)

    def prior(self, bound: Bound) -> Any:
        """The value of a field argument in the record before the write."""
        assert bound.field is not None and self.scope.prior is not None
        return self.read(bound.field, self.scope.prior)

    def read(self, path: Path, record: Record | None) -> Any:
        """Follow the relationship hops from ``record``, then read the field."""
        for hop in path.hops:
            parent_id = record.get(hop.name) if record is not None else None
            record = self.scope.lookup(str(parent_id)) if parent_id else None
        raw = record.get(path.target.name) if record is not None else None
        return field_value(path.target, raw)

    def _unary(self, op: str, value: Any) -> Any:
        if value is None:
            return None
        if op == "!":
            return not value
        return -value if op == "-" else value

    def _binary(self, op: str, args: tuple[Bound, ...]) -> Any:
        if op in ("&&", "||"):
            return _run_and(self, args) if op == "&&" else _run_or(self, args)
        left, right = self.eval(args[0]), self.eval(args[1])
        if op in ("=", "==", "!=", "<>"):
            return _equal(left, right) is (op in ("=", "=="))
        if op == "&":
            return f"{left or ''}{right or ''}"
        if left is None or right is None:
            return None
        return _arithmetic(op, left, right)


def _equal(left: Any, right: Any) -> bool:
    """Equality where a blank text and null are the same."""
    if left is None or right is None:
        return _is_blank(left) and _is_blank(right)
    return bool(left == right)


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    """Ordering and arithmetic of two non-null values of checked types."""
    if op in ("<", ">", "<=", ">="):
        return _ORDER[op](left, right)
    if op == "-" and isinstance(left, dt.date) and isinstance(right, dt.date):
        return _days_between(left, right)
    if isinstance(left, dt.date) and isinstance(right, float):
        step = dt.timedelta(days=right if op == "+" else -right)
        return left + (step if isinstance(left, dt.datetime) else _whole_days(step))
    try:
        return _NUMERIC[op](left, right)
    except (ZeroDivisionError, OverflowError):
        return None


def _days_between(left: dt.date, right: dt.date) -> float:
    delta = left - right
    return delta.total_seconds() / 86400


def _whole_days(step: dt.timedelta) -> dt.timedelta:
    return dt.timedelta(days=int(step.total_seconds() // 86400))


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: bool(a < b),
    ">": lambda a, b: bool(a > b),
    "<=": lambda a, b: bool(a <= b),
    ">=": lambda a, b: bool(a >= b),
}
_NUMERIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "^": lambda a, b: float(a**b),
}


@dataclass(frozen=True)
class Formula:
    """A formula bound to one object, ready to evaluate."""

    text: str
    tree: Bound

    @property
    def type(self) -> str:
        """The result type: Boolean, Number, Text, Date, DateTime, ..."""
        return self.tree.type

    def evaluate(self, scope: Scope) -> Any:
        """The formula's value for a record (None for null)."""
        return Evaluator(scope).eval(self.tree)


def compile_formula(text: str, schema: ObjectSchema, catalog: Catalog) -> Formula:
    """Parse and bind ``text`` on ``schema``; FormulaError if it cannot be."""
    tree = Binder(schema, catalog).bind(parse(text))
    return Formula(text=text, tree=tree)
