"""Salesforce record IDs: 15-character case-sensitive, 18 with a checksum.

The first three characters are the key prefix of the object; the last three
of an 18-character ID encode, chunk by chunk, which of the first fifteen
characters are upper-case letters.
"""

from __future__ import annotations

import itertools
import string
import threading

__all__ = ["IdMinter", "is_valid_id", "normalize_id", "to18"]

SUFFIX_ALPHABET = string.ascii_uppercase + "012345"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
BODY_LENGTH = 12


def to18(id15: str) -> str:
    """Append the three checksum characters to a 15-character ID."""
    if len(id15) != 15:
        raise ValueError(f"not a 15-character ID: {id15!r}")
    return id15 + "".join(_chunk_char(id15[i : i + 5]) for i in range(0, 15, 5))


def _chunk_char(chunk: str) -> str:
    bits = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
    return SUFFIX_ALPHABET[bits]


def is_valid_id(value: object) -> bool:
    """Whether a value is a well-formed 15- or 18-character ID."""
    if not isinstance(value, str) or len(value) not in (15, 18):
        return False
    if any(ch not in BASE62 for ch in value):
        return False
    return len(value) == 15 or to18(value[:15]) == value


def normalize_id(value: str) -> str:
    """The 18-character form of a valid ID; raises ValueError otherwise."""
    if not is_valid_id(value):
        raise ValueError(f"malformed ID: {value!r}")
    return to18(value[:15])


class IdMinter:
    """Mints new 18-character IDs: prefix, a pod marker, a running number."""

    def __init__(self, *, pod: str = "8d") -> None:
        self._pod = pod
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def mint(self, key_prefix: str) -> str:
        """A fresh ID for an object with this key prefix."""
        with self._lock:
            number = next(self._counter)
        body = self._pod + _base62(number).rjust(BODY_LENGTH - len(self._pod), "0")
        return to18(key_prefix + body)


def _base62(number: int) -> str:
    digits = []
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return "".join(reversed(digits)) or "0"
