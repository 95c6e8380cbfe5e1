"""The sandbox's error answers, in Rocketlane's ``errors[]`` envelope."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "bad_request", "not_found"]

NOT_FOUND_MESSAGE = "Not Found: Resource not found for given ID"
NOT_AUTHORIZED_MESSAGE = "Not Authorized: User not authorized"
RATE_LIMIT_MESSAGE = "Rate limit exceeded"
SERVER_ERROR_MESSAGE = (
    "Server Error: Something went wrong on our end. "
    "Could not perform the requested action."
)


class ApiError(Exception):
    """An error the API answers with: a status and one envelope entry."""

    def __init__(
        self, status: int, code: str, message: str, *, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def body(self) -> dict[str, Any]:
        """The JSON body Rocketlane sends for this error."""
        entry: dict[str, Any] = {"errorCode": self.code, "errorMessage": self.message}
        if self.field is not None:
            entry["field"] = self.field
        return {"errors": [entry]}


def bad_request(message: str, field: str | None = None) -> ApiError:
    """A 400 whose message carries the documented ``Bad Request:`` prefix."""
    return ApiError(400, "BAD_REQUEST", f"Bad Request: {message}", field=field)


def not_found() -> ApiError:
    """The one 404 Rocketlane answers for any unknown ID."""
    return ApiError(404, "NOT_FOUND", NOT_FOUND_MESSAGE)
