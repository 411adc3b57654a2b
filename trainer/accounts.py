"""Accounts: who may open the client history, and how they sign in.

Passwords are hashed with Argon2id (``argon2-cffi``'s ``PasswordHasher``, RFC 9106 defaults); the
store keeps only the hash. Sign-in failures are slowed down per account name: the first
``FREE_TRIES`` wrong passwords in a row are answered at once, every later try waits
``2 ** (n - FREE_TRIES + 1)`` seconds (capped at ``MAX_DELAY_S``) before it is even checked, so
guessing costs time, and a correct password ends the run. The count lives in the store, is taken
before a try is checked, and tries sent at once wait one after another (:class:`LoginThrottle`). Unknown names are treated exactly like known ones
(same hashing work, same delays), so the form does not tell which names exist.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata
from dataclasses import dataclass
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


def throttle_delay(failures: int) -> float:
    """Seconds a try waits after ``failures`` failed tries in a row for its name."""
    return 0.0 if failures < FREE_TRIES else min(2.0 ** (failures - FREE_TRIES + 1), MAX_DELAY_S)


@dataclass
class LoginThrottle:
    """Failed sign-ins in a row per account name, kept in the store (table ``login_throttle``), so
    it holds across browser sessions, server processes and restarts. Each try is counted as failed
    *before* it is checked and waits until its own reserved time (:meth:`Store.reserve_login_try`),
    so tries sent at once wait one after another, exactly as if they had been sent in a row.
    ``clock`` (epoch seconds) and ``sleep`` are injectable for tests."""

    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep

    @staticmethod
    def key(name: str) -> str:
        """The store's key for ``name``: a digest of its account key (fixed length, any input)."""
        folded = " ".join(unicodedata.normalize("NFKC", str(name)).split()).casefold()
        return hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()

    def before_try(self, store: Store, name: str) -> float:
        """Count this try as failed and wait its turn; returns the seconds waited."""
        now = self.clock()
        wait = store.reserve_login_try(self.key(name), now, throttle_delay) - now
        if wait > 0:
            self.sleep(wait)
        return max(wait, 0.0)

    def succeeded(self, store: Store, name: str) -> None:
        store.clear_login_failures(self.key(name))

    def failures(self, store: Store, name: str) -> int:
        return store.login_failures(self.key(name))


THROTTLE = LoginThrottle()


def authenticate(store: Store, name: str, password: str, throttle: LoginThrottle = THROTTLE) -> UserRecord | None:
    """The account when ``password`` is right, else None. The try is counted as failed before it is
    checked, and waits its turn (:class:`LoginThrottle`); an unknown name costs the same hashing
    work as a known one."""
    throttle.before_try(store, name)
    try:
        user = store.find_user(name)
    except StoreError:
        user = None  # an empty or over-long name: a failed try like any other
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password or "")
    if ok and user is not None:
        throttle.succeeded(store, name)
        return user
    return None  # already counted
