"""A SOQL tokenizer and recursive-descent parser.

The grammar covers what an integration sends::

    query      := SELECT items FROM name [WHERE or] [ORDER BY orders]
                  [LIMIT int] [OFFSET int]
    items      := item ("," item)*
    item       := path | COUNT "(" [path] ")" [alias] | "(" query ")"
    or         := and (OR and)*
    and        := not (AND not)*
    not        := NOT not | "(" or ")" | predicate
    predicate  := path op value | path [NOT] IN "(" values ")"
                | path [NOT] LIKE string
    value      := string | number | TRUE | FALSE | NULL | date | datetime
                | DATE_LITERAL [":" int]
    orders     := path [ASC|DESC] [NULLS (FIRST|LAST)] ("," ...)*

Keywords are case-insensitive. ``parse`` raises ``SoqlSyntaxError`` with the
row and column of the offending token, as Salesforce's MALFORMED_QUERY does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "And",
    "Compare",
    "Count",
    "DateLiteral",
    "FieldPath",
    "InList",
    "Like",
    "Not",
    "Or",
    "OrderItem",
    "Query",
    "SoqlSyntaxError",
    "SubQuery",
    "parse",
    "tokenize",
]

KEYWORDS = frozenset(
    {
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "ORDER",
        "BY", "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET",
        "TRUE", "FALSE", "NULL", "COUNT", "INCLUDES", "EXCLUDES", "GROUP",
        "HAVING", "USING", "WITH", "FOR",
    }
)  # fmt: skip
OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">")
DATE_LITERALS = frozenset(
    {
        "TODAY", "YESTERDAY", "TOMORROW", "THIS_WEEK", "LAST_WEEK", "NEXT_WEEK",
        "THIS_MONTH", "LAST_MONTH", "NEXT_MONTH", "THIS_YEAR", "LAST_YEAR",
        "NEXT_YEAR", "LAST_90_DAYS", "NEXT_90_DAYS", "LAST_N_DAYS", "NEXT_N_DAYS",
    }
)  # fmt: skip
DATE_LITERALS_WITH_N = frozenset({"LAST_N_DAYS", "NEXT_N_DAYS"})


class SoqlSyntaxError(ValueError):
    """The query does not parse; ``str()`` reads like Salesforce's message."""

    def __init__(self, message: str, *, source: str = "", position: int = 0):
        row = source.count("\n", 0, position) + 1
        column = position - (source.rfind("\n", 0, position) + 1) + 1
        super().__init__(f"ERROR at Row:{row}:Column:{column}\n{message}")
        self.position = position


@dataclass(frozen=True)
class Token:
    """One lexical token with its offset in the source."""

    kind: str  # IDENT, STRING, NUMBER, DATE, DATETIME, OP, PUNCT, EOF
    text: str
    position: int
    value: Any = None

    def is_keyword(self, *words: str) -> bool:
        """Whether this is an identifier spelling one of the keywords."""
        return self.kind == "IDENT" and self.text.upper() in words


@dataclass(frozen=True)
class FieldPath:
    """A field, possibly through parent relationships: ``Account.Owner.Email``."""

    parts: tuple[str, ...]

    @property
    def text(self) -> str:
        """The path as written."""
        return ".".join(self.parts)


@dataclass(frozen=True)
class Count:
    """``COUNT()`` or ``COUNT(field)``, with an optional alias."""

    field: FieldPath | None
    alias: str | None = None


@dataclass(frozen=True)
class SubQuery:
    """A child-relationship subquery in the select list."""

    query: Query


@dataclass(frozen=True)
class DateLiteral:
    """A relative date range such as TODAY or LAST_N_DAYS:30."""

    name: str
    n: int = 0


@dataclass(frozen=True)
class Compare:
    """``path op value``."""

    path: FieldPath
    op: str
    value: Any


@dataclass(frozen=True)
class InList:
    """``path [NOT] IN (values)``."""

    path: FieldPath
    values: tuple[Any, ...]
    negated: bool = False


@dataclass(frozen=True)
class Like:
    """``path [NOT] LIKE 'pattern'``."""

    path: FieldPath
    pattern: str
    negated: bool = False


@dataclass(frozen=True)
class And:
    """All of the conditions."""

    items: tuple[Any, ...]


@dataclass(frozen=True)
class Or:
    """Any of the conditions."""

    items: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    """The negation of a condition."""

    item: Any


@dataclass(frozen=True)
class OrderItem:
    """One ORDER BY key."""

    path: FieldPath
    descending: bool = False
    nulls_last: bool | None = None


@dataclass(frozen=True)
class Query:
    """A parsed SELECT statement."""

    items: tuple[FieldPath | Count | SubQuery, ...]
    sobject: str
    where: Any = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None
    source: str = field(default="", compare=False)

    @property
    def is_count(self) -> bool:
        """Whether this is ``SELECT COUNT() FROM ...``."""
        return any(isinstance(i, Count) and i.field is None for i in self.items)


# --- tokenizer -------------------------------------------------------------


def tokenize(source: str) -> list[Token]:
    """Split SOQL into tokens; raises SoqlSyntaxError on stray characters."""
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        char = source[position]
        if char.isspace():
            position += 1
            continue
        token = _next_token(source, position)
        tokens.append(token)
        position = token.position + len(token.text)
    tokens.append(Token("EOF", "", len(source)))
    return tokens


def _next_token(source: str, start: int) -> Token:
    char = source[start]
    if char == "'":
        return _string(source, start)
    if char.isdigit() or (char in "+-" and _peek_digit(source, start + 1)):
        return _number_or_date(source, start)
    if char.isalpha() or char == "_":
        end = start
        while end < len(source) and (source[end].isalnum() or source[end] in "_."):
            end += 1
        return Token("IDENT", source[start:end], start)
    for operator in OPERATORS:
        if source.startswith(operator, start):
            return Token("OP", operator, start)
    if char in "(),:":
        return Token("PUNCT", char, start)
    raise SoqlSyntaxError(f"unexpected token: '{char}'", source=source, position=start)


def _peek_digit(source: str, position: int) -> bool:
    return position < len(source) and source[position].isdigit()


def _string(source: str, start: int) -> Token:
    chars: list[str] = []
    escapes = {"n": "\n", "t": "\t", "r": "\r", "'": "'", '"': '"', "\\": "\\"}
    position = start + 1
    while position < len(source):
        char = source[position]
        if char == "\\" and position + 1 < len(source):
            nxt = source[position + 1]
            chars.append(escapes.get(nxt, "\\" + nxt))
            position += 2
            continue
        if char == "'":
            text = source[start : position + 1]
            return Token("STRING", text, start, "".join(chars))
        chars.append(char)
        position += 1
    raise SoqlSyntaxError("unterminated string literal", source=source, position=start)


def _number_or_date(source: str, start: int) -> Token:
    end = start + 1
    while end < len(source) and (source[end].isalnum() or source[end] in ".:-+"):
        end += 1
    text = source[start:end]
    value = _as_date(text)
    if value is not None:
        kind = "DATETIME" if isinstance(value, dt.datetime) else "DATE"
        return Token(kind, text, start, value)
    end = start + 1
    while end < len(source) and (source[end].isdigit() or source[end] == "."):
        end += 1
    text = source[start:end]
    try:
        number = float(text) if "." in text else int(text)
    except ValueError:
        raise SoqlSyntaxError(
            f"unexpected token: '{text}'", source=source, position=start
        ) from None
    return Token("NUMBER", text, start, number)


def _as_date(text: str) -> dt.date | dt.datetime | None:
    if len(text) < 10 or text[4:5] != "-" or text[7:8] != "-":
        return None
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


# --- parser ----------------------------------------------------------------


def parse(source: str) -> Query:
    """Parse one SOQL statement; raises SoqlSyntaxError."""
    parser = _Parser(source)
    query = parser.query()
    parser.expect_end()
    return query


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.index = 0

    # token helpers

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def fail(self, token: Token | None = None) -> SoqlSyntaxError:
        token = token or self.current
        text = token.text or "<EOF>"
        return SoqlSyntaxError(
            f"unexpected token: '{text}'", source=self.source, position=token.position
        )

    def keyword(self, *words: str) -> bool:
        if self.current.is_keyword(*words):
            self.advance()
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            raise self.fail()

    def punct(self, char: str) -> bool:
        if self.current.kind == "PUNCT" and self.current.text == char:
            self.advance()
            return True
        return False

    def expect_punct(self, char: str) -> None:
        if not self.punct(char):
            raise self.fail()

    def expect_end(self) -> None:
        if self.current.kind != "EOF":
            raise self.fail()

    # grammar

    def query(self) -> Query:
        self.expect_keyword("SELECT")
        items = self.select_items()
        self.expect_keyword("FROM")
        sobject = self.object_name()

        where = self.or_condition() if self.keyword("WHERE") else None
        order_by = self.order_by() if self.keyword("ORDER") else ()
        limit = self.integer() if self.keyword("LIMIT") else None
        offset = self.integer() if self.keyword("OFFSET") else None
        if self.current.is_keyword("GROUP", "HAVING", "WITH", "FOR", "USING"):
            raise SoqlSyntaxError(
                f"{self.current.text.upper()} is not supported by the sandbox",
                source=self.source,
                position=self.current.position,
            )
        return Query(items, sobject, where, order_by, limit, offset, self.source)

    def select_items(self) -> tuple[FieldPath | Count | SubQuery, ...]:
        items = [self.select_item()]
        while self.punct(","):
            items.append(self.select_item())
        return tuple(items)

    def select_item(self) -> FieldPath | Count | SubQuery:
        if self.punct("("):
            sub = self.query()
            self.expect_punct(")")
            return SubQuery(sub)
        if self.current.is_keyword("COUNT") and self._next_is("("):
            return self.count()
        return self.path()

    def _next_is(self, char: str) -> bool:
        token = self.tokens[self.index + 1]
        return token.kind == "PUNCT" and token.text == char

    def count(self) -> Count:
        self.advance()
        self.expect_punct("(")
        target = None if self.current.text == ")" else self.path()
        self.expect_punct(")")
        alias = None
        if self.current.kind == "IDENT" and not self.current.is_keyword(*KEYWORDS):
            alias = self.advance().text
        return Count(target, alias)

    def object_name(self) -> str:
        """The object after FROM; ``Order`` is one, unless ``BY`` follows."""
        token = self.current
        if token.is_keyword("ORDER") and not self._next_is_keyword("BY"):
            return self.advance().text
        return self.name()

    def _next_is_keyword(self, word: str) -> bool:
        return self.tokens[self.index + 1].is_keyword(word)

    def name(self) -> str:
        token = self.current
        if token.kind != "IDENT" or token.is_keyword(*KEYWORDS) or "." in token.text:
            raise self.fail()
        return self.advance().text

    def path(self) -> FieldPath:
        token = self.current
        if token.kind != "IDENT" or token.is_keyword(*KEYWORDS):
            raise self.fail()
        parts = tuple(token.text.split("."))
        if any(not part for part in parts):
            raise self.fail()
        self.advance()
        return FieldPath(parts)

    def integer(self) -> int:
        token = self.current
        if token.kind != "NUMBER" or not isinstance(token.value, int):
            raise self.fail()
        self.advance()
        return int(token.value)

    def or_condition(self) -> Any:
        items = [self.and_condition()]
        while self.keyword("OR"):
            items.append(self.and_condition())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_condition(self) -> Any:
        items = [self.not_condition()]
        while self.keyword("AND"):
            items.append(self.not_condition())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_condition(self) -> Any:
        if self.keyword("NOT"):
            return Not(self.not_condition())
        if self.punct("("):
            inner = self.or_condition()
            self.expect_punct(")")
            return inner
        return self.predicate()

    def predicate(self) -> Any:
        path = self.path()
        negated = self.keyword("NOT")
        if self.keyword("IN"):
            return InList(path, self.value_list(), negated)
        if self.keyword("LIKE"):
            token = self.current
            if token.kind != "STRING":
                raise self.fail()
            self.advance()
            return Like(path, token.value, negated)
        if negated or self.current.kind != "OP":
            raise self.fail()
        op = self.advance().text
        return Compare(path, "!=" if op == "<>" else op, self.value())

    def value_list(self) -> tuple[Any, ...]:
        self.expect_punct("(")
        values = [self.value()]
        while self.punct(","):
            values.append(self.value())
        self.expect_punct(")")
        return tuple(values)

    def value(self) -> Any:
        token = self.current
        if token.kind in ("STRING", "NUMBER", "DATE", "DATETIME"):
            self.advance()
            return token.value
        if token.is_keyword("TRUE", "FALSE"):
            self.advance()
            return token.text.upper() == "TRUE"
        if token.is_keyword("NULL"):
            self.advance()
            return None
        if token.kind == "IDENT" and token.text.upper() in DATE_LITERALS:
            return self.date_literal()
        raise self.fail()

    def date_literal(self) -> DateLiteral:
        name = self.advance().text.upper()
        if name not in DATE_LITERALS_WITH_N:
            return DateLiteral(name)
        self.expect_punct(":")
        return DateLiteral(name, self.integer())

    def order_by(self) -> tuple[OrderItem, ...]:
        self.expect_keyword("BY")
        items = [self.order_item()]
        while self.punct(","):
            items.append(self.order_item())
        return tuple(items)

    def order_item(self) -> OrderItem:
        path = self.path()
        descending = False
        if self.keyword("DESC"):
            descending = True
        else:
            self.keyword("ASC")
        nulls_last: bool | None = None
        if self.keyword("NULLS"):
            if self.keyword("LAST"):
                nulls_last = True
            else:
                self.expect_keyword("FIRST")
                nulls_last = False
        return OrderItem(path, descending, nulls_last)
