"""The client history's errors: one line each that says why (``StoreError`` and its kinds)."""

from __future__ import annotations

from vision.errors import SquatCheckError

__all__ = [
    "ClientNotFoundError",
    "DuplicateClientError",
    "DuplicateUserError",
    "ScreeningNotFoundError",
    "SessionNotFoundError",
    "StoreError",
    "UserNotFoundError",
]


class StoreError(SquatCheckError):
    """The client history could not be read or written; the message says why."""


class ClientNotFoundError(StoreError):
    """No client with that id (it may have been deleted)."""


class SessionNotFoundError(StoreError):
    """No session with that id (it may have been deleted)."""


class ScreeningNotFoundError(StoreError):
    """No screening with that id (it may have been deleted)."""


class UserNotFoundError(StoreError):
    """No account with that name."""


class DuplicateUserError(StoreError):
    """An account with that name already exists."""


class DuplicateClientError(StoreError):
    """A client with that name already exists (names are compared ignoring case/spacing)."""
