"""Sign-in for the app: who is using it, and whether they must say so.

* The server listens on this computer only (127.0.0.1, ``.streamlit/config.toml``) by default and,
  while no account exists, asks for nothing: one trainer on their own computer.
* As soon as an account exists, or whenever the server listens on a network address, every page
  shows only the sign-in form until someone signs in. A network server without any account shows
  no page at all, only how to create the first admin.
* A session ends on "Sign out", after ``SQUATCHECK_IDLE_MINUTES`` (default 30) without any
  action, and when its account is removed or given a new password. Wrong passwords are slowed
  down by :mod:`trainer.accounts`.
* :func:`require_session` is the one guard every state-changing action runs, inside its widget
  callback, before it touches the store (Streamlit runs ``on_click`` callbacks before the script
  body, so before :func:`gate`): an expired or revoked session changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import time

import streamlit as st

from trainer import accounts
from trainer.store import Store, StoreError, UserRecord
from ui import upload_guard
from ui.clients_presenters import md_text
from ui.session_store import shared_store

log = logging.getLogger("squatcheck.ui.auth")

USER_KEY = "auth_user_id"
SEEN_KEY = "auth_last_seen"
CRED_KEY = "auth_credential"  # a digest of the password hash the session signed in with
NOTICE_KEY = "auth_notice"
FIRST_ADMIN_COMMAND = ".venv/bin/python -m vision users add YOUR_NAME --role admin"


def idle_timeout_s() -> float:
    try:
        return max(float(os.environ.get("SQUATCHECK_IDLE_MINUTES", "")) * 60.0, 1.0)
    except ValueError:
        return float(accounts.IDLE_TIMEOUT_S)


def is_local_address(address: str | None) -> bool:
    """True when the server is reachable from this computer only."""
    if not address:
        return False  # Streamlit's default: every interface
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: assume it is reachable from the network


def listens_on_network() -> bool:
    return not is_local_address(st.get_option("server.address"))


def login_required(store: Store) -> bool:
    return _login_required(store.count_users() > 0)


def _login_required(accounts_exist: bool) -> bool:
    return accounts_exist or listens_on_network()


def current_user() -> UserRecord | None:
    """The signed-in account of this browser session, or None."""
    return st.session_state.get("_auth_user")


class SignedOutError(StoreError):
    """The action needs a signed-in, unexpired session and this browser session has none."""


def _credential(user: UserRecord) -> str:
    return hashlib.sha256(user.password_hash.encode("utf-8")).hexdigest()


def _sign_out(notice: str | None = None) -> None:
    for key in (USER_KEY, SEEN_KEY, CRED_KEY, "_auth_user"):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[NOTICE_KEY] = notice


def _signed_in_user(store: Store) -> UserRecord | None:
    """The session's account if it is still valid (exists, and the session was active recently)."""
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        return None
    now = time.time()
    if now - st.session_state.get(SEEN_KEY, now) > idle_timeout_s():
        _sign_out("You were signed out after a period of inactivity. Sign in again to go on.")
        return None
    user = store.get_user(user_id)
    if user is None:  # the account was removed meanwhile
        _sign_out("Your account no longer exists. Ask an admin.")
        return None
    if not hmac.compare_digest(str(st.session_state.get(CRED_KEY, "")), _credential(user)):
        # a new password was set (or the id now belongs to another account): sessions signed in
        # with the old one end
        _sign_out("Your password was changed. Sign in again with the new one.")
        return None
    st.session_state[SEEN_KEY] = now
    st.session_state["_auth_user"] = user
    return user


def _login_form(store: Store) -> None:
    st.title("SquatCheck")
    st.subheader("Sign in")
    if notice := st.session_state.pop(NOTICE_KEY, None):
        st.info(notice)
    with st.form("auth_login", clear_on_submit=False):
        name = st.text_input("Name", key="auth_name", autocomplete="username")
        password = st.text_input("Password", type="password", key="auth_password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            with st.spinner("Checking..."):
                user = accounts.authenticate(store, name, password)
        except StoreError:  # the throttle could not be kept: no try is checked without it
            log.exception("sign-in throttle unavailable")
            st.error("Signing in is not possible right now (the accounts could not be written). Try again soon.")
            return
        if user is None:
            st.error("Wrong name or password.")
            log.warning("failed sign-in for %r", name)
        else:
            st.session_state[USER_KEY] = user.id
            st.session_state[SEEN_KEY] = time.time()
            st.session_state[CRED_KEY] = _credential(user)
            st.session_state["_auth_user"] = user
            st.session_state.pop("auth_password", None)
            st.rerun()
    st.caption("Client records are health data: they are shown only to the trainer who owns them. "
               "Forgot the password? An admin can set a new one: `python -m vision users reset NAME`.")


def require_session(store: Store) -> UserRecord | None:
    """The guard of every state-changing action: call it inside the callback, before the store is
    touched. Returns the signed-in account (None when no sign-in is needed: a local server without
    accounts); raises :class:`SignedOutError` when a sign-in is needed and this session has no valid
    one (never signed in, idle too long, account removed, password changed); the next run of the
    script then shows the sign-in form with the reason."""
    if not login_required(store):
        return None
    user = _signed_in_user(store)  # checks expiry, the account and its password afresh
    if user is None:
        st.session_state.setdefault(NOTICE_KEY, "Sign in to go on.")
        raise SignedOutError("You are signed out; nothing was changed. Sign in again to go on.")
    return user


def get_store() -> Store:
    """The client history as the signed-in account may see it (all clients for an admin, or while no
    account exists on a local-only server; a trainer's own clients otherwise). Every call checks the
    session afresh (:func:`require_session`: signed in, not idle too long, account and password
    unchanged), so a widget callback that gets its store here - they all do - changes nothing for a
    session that has ended; raises :class:`SignedOutError` (a :class:`StoreError`) then. Pages get
    the store for client data only from here."""
    store = shared_store()
    return store.for_user(require_session(store))


def session_check():
    """A check of *this* browser session's sign-in that can run later on another thread (a deferred
    download's data callable, which Streamlit runs outside the script). Returns ``check(store)``: it
    raises :class:`SignedOutError` unless the session is still signed in, not idle too long, with its
    account and password unchanged (as :func:`require_session`, without changing the session)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    state = ctx.session_state if ctx is not None else None

    def check(store: Store) -> None:
        if not login_required(store):
            return
        try:
            user_id = state[USER_KEY] if state is not None and USER_KEY in state else None
            seen = float(state[SEEN_KEY]) if user_id is not None and SEEN_KEY in state else None
            cred = str(state[CRED_KEY]) if user_id is not None and CRED_KEY in state else ""
        except Exception:  # noqa: BLE001 - the session is gone
            user_id = None
        user = store.get_user(user_id) if user_id is not None else None
        if (user is None or seen is None or time.time() - seen > idle_timeout_s()
                or not hmac.compare_digest(cred, _credential(user))):
            raise SignedOutError("You are signed out; sign in again to download.")

    return check


def gate() -> UserRecord | None:
    """Call first on every run. Returns the signed-in account (None when no sign-in is needed);
    otherwise draws the sign-in form, or the first-admin instructions, and stops the run."""
    try:
        store = shared_store()
        accounts_exist = store.count_users() > 0
    except Exception as err:  # noqa: BLE001 - a broken database must not open the app unguarded
        log.exception("could not open the client history for sign-in")
        if listens_on_network():
            st.error(f"The accounts could not be read ({err}); the app stays locked. Check SQUATCHECK_DB_URL.")
            st.stop()
        st.session_state["_auth_user"] = None
        return None  # local-only: the pages say themselves that the history cannot be opened
    if not _login_required(accounts_exist):
        st.session_state["_auth_user"] = None
        return None
    if not accounts_exist:
        st.title("SquatCheck")
        st.warning("This app is shared on the network, so it needs accounts, and none exists yet. "
                   "No client data is shown until an admin signs in.")
        upload_guard.revoke()
        st.markdown("On the computer that runs the app, create the first admin (it asks for a password):")
        st.code(FIRST_ADMIN_COMMAND, language="bash")
        st.markdown("then reload this page. Or run the app for this computer only (the default): "
                    "`.venv/bin/streamlit run app.py`.")
        st.stop()
    user = _signed_in_user(store)
    if user is None:
        upload_guard.revoke()  # no uploads from the sign-in page; a signed-out session's files go
        _login_form(store)
        st.stop()
    return user


def account_box(user: UserRecord | None) -> None:
    """Sidebar: who is signed in, and "Sign out"."""
    if user is None:
        return
    with st.sidebar:
        st.caption(f"Signed in as **{md_text(user.name)}** ({user.role})")
        if st.button("Sign out", key="auth_sign_out"):
            _sign_out("You are signed out.")
            st.rerun()

