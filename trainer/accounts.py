"""Accounts: who may open the client history, and how they sign in.

Passwords are hashed with Argon2id (``argon2-cffi``'s ``PasswordHasher``, RFC 9106 defaults); the
store keeps only the hash. Sign-in failures are slowed down per account name: the first
``FREE_TRIES`` wrong passwords in a row are answered at once, every later try waits
``2 ** (n - FREE_TRIES)`` seconds (capped at ``MAX_DELAY_S``) before it is even checked, so guessing
costs time, and a correct password ends the run. Unknown names are treated exactly like known ones
(same hashing work, same delays), so the form does not tell which names exist.
"""

from __future__ import annotations

import threading
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from trainer.store import ROLES, Store, StoreError, UserRecord

MIN_PASSWORD_LENGTH = 8
FREE_TRIES = 4        # wrong passwords in a row answered without delay; the 5th waits
MAX_DELAY_S = 30.0
IDLE_TIMEOUT_S = 30 * 60  # a signed-in session ends after this long without any action

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password, only for equal timing")


class AccountError(StoreError):
    """An account command could not be carried out; the message says why."""


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if password != password.strip():
        raise AccountError("A password cannot start or end with spaces.")


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def add_user(store: Store, name: str, role: str, password: str) -> UserRecord:
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}: choose {' or '.join(ROLES)}.")
    return store.create_user(name, role, hash_password(password))


def reset_password(store: Store, name: str, password: str) -> UserRecord:
    return store.set_password_hash(name, hash_password(password))


@dataclass
class LoginThrottle:
    """Consecutive failed sign-ins per account name (process-wide; it resets when the server
    restarts). ``clock`` and ``sleep`` are injectable for tests."""

    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _failures: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def key(name: str) -> str:
        return " ".join(unicodedata.normalize("NFC", str(name)).split()).casefold()

    def delay_for(self, name: str) -> float:
        """Seconds the next try for ``name`` waits before it is checked."""
        with self._lock:
            n = self._failures.get(self.key(name), 0)
        return 0.0 if n < FREE_TRIES else min(2.0 ** (n - FREE_TRIES + 1), MAX_DELAY_S)

    def failed(self, name: str) -> None:
        with self._lock:
            k = self.key(name)
            self._failures[k] = self._failures.get(k, 0) + 1

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(self.key(name), None)


THROTTLE = LoginThrottle()


def authenticate(store: Store, name: str, password: str, throttle: LoginThrottle = THROTTLE) -> UserRecord | None:
    """The account when ``password`` is right, else None (after the throttle's delay)."""
    delay = throttle.delay_for(name)
    if delay:
        throttle.sleep(delay)
    try:
        user = store.find_user(name)
    except StoreError:
        user = None  # an empty or over-long name: a failed try like any other
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password or "")
    if ok and user is not None:
        throttle.succeeded(name)
        return user
    throttle.failed(name)
    return None
