"""The one error the sandbox raises internally, rendered as Salesforce does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["SalesforceError"]


class SalesforceError(Exception):
    """A REST error: HTTP status, errorCode, message and the fields involved."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: Sequence[str] | None = None,
    ) -> None:
        super().__init__(f"{error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = list(fields) if fields is not None else None

    def rest_body(self) -> list[dict[str, Any]]:
        """The REST error array: ``[{"message","errorCode","fields"?}]``."""
        body: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            body["fields"] = self.fields
        return [body]

    def row_error(self) -> dict[str, Any]:
        """A per-row error of sObject Collections (``statusCode``, not errorCode)."""
        return {
            "statusCode": self.error_code,
            "message": self.message,
            "fields": self.fields or [],
        }
