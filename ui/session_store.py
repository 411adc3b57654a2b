"""The app's one open client history: the bottom of ``ui/`` (it imports no other ``ui`` module).

One :class:`trainer.store.Store` per database URL is shared by every session of the app (it is
thread-safe). Pages never use it directly for client data: :func:`ui.auth.get_store` hands each
session the view its signed-in account may see, checked afresh on every call. :func:`shared_store` is for
what works on the accounts themselves: the sign-in checks (``ui.auth``, ``ui.downloads``) and the
accounts page.
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

