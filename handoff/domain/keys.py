"""Correlation keys: one per project, stable before either system has an ID.

The key is derived from where the deliverable was sold, so deriving the same
deal twice, or in two workers at once, always names the same project.
"""

from __future__ import annotations

import hashlib

__all__ = ["KEY_PREFIX", "deal_key", "project_key"]

KEY_PREFIX = "HO-"
_DIGEST_CHARS = 20


def project_key(
    source_object: str, source_id: str, *, bundle: str | None = None
) -> str:
    """The correlation key of the project sold by one line, or one bundle.

    Salesforce IDs are normalised to their first 15 characters, so a 15- and
    an 18-character form of the same ID give the same key.
    """
    anchor = f"{source_object}:{source_id[:15]}"
    if bundle is not None:
        anchor = f"{anchor}:bundle:{bundle}"
    return KEY_PREFIX + _digest(anchor)


def deal_key(source_object: str, deal_id: str) -> str:
    """The correlation key of work on a whole commercial parent."""
    return f"{source_object}:{deal_id[:15]}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:_DIGEST_CHARS].upper()
