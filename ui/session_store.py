"""The client history as this browser session may see it.

One :class:`trainer.store.Store` per database URL is shared by every session of the app (it is
thread-safe); :func:`get_store` hands each session the view its signed-in account may see (all
clients for an admin, or while no account exists on a local-only server; a trainer's own clients
otherwise). Pages get the store only from here.
"""

from __future__ import annotations

import streamlit as st

from trainer.store import Store, default_database_url


def database_url() -> str:
    """``$SQUATCHECK_DB_URL`` if set, else the SQLite file in the user's data directory."""
    return default_database_url()


@st.cache_resource(show_spinner=False, on_release=Store.close)
def _open_store(url: str) -> Store:
    return Store.open(url)


def shared_store() -> Store:
    """The whole store, for the sign-in gate only. Raises :class:`StoreError` if it cannot be opened."""
    return _open_store(database_url())


def get_store() -> Store:
    """The store as the signed-in account may see it. Every call checks the session afresh
    (:func:`ui.auth.require_session`: signed in, not idle too long, account and password unchanged),
    so a widget callback that gets its store here - they all do - changes nothing for a session
    that has ended; raises :class:`ui.auth.SignedOutError` (a :class:`StoreError`) then."""
    from ui import auth

    store = shared_store()
    return store.for_user(auth.require_session(store))
