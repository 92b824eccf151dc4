"""The backend's errors. ``ApiError`` is what a request handler raises; the app turns it
into ``{"error": CODE, "message": TEXT, ...}`` with its HTTP status. Everything
else derives from :class:`kiosk.errors.KioskError` so the CLI reports it the
same way the kiosk does.

Tree::

    ApiError(status, code)          one HTTP answer, 4xx or 5xx
    BackendError (KioskError)       configuration, database, master key
    └── StoreError                  a database operation failed
"""

from __future__ import annotations

from typing import Any

from kiosk.errors import KioskError


class ApiError(Exception):
    """An HTTP error answer; ``extra`` fields are merged into the JSON body."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}


class BackendError(KioskError):
    code = "backend_error"


class StoreError(BackendError):
    code = "store_error"


def bad_request(message: str, **extra: Any) -> ApiError:
    return ApiError(400, "bad_request", message, **extra)
