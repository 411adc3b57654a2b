"""Page (admins only): the accounts. Add a trainer or admin, set a new password, remove an account.

The same as ``python -m vision users ...``; passwords are hashed by :mod:`trainer.accounts`.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # run as a page file: make `ui` / `trainer` importable
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from trainer import accounts  # noqa: E402
from trainer.store import ROLES, StoreError  # noqa: E402
from ui import auth  # noqa: E402
from ui.clients_presenters import csv_safe, md_text  # noqa: E402
from ui.session_store import shared_store  # noqa: E402


def render_users_page() -> None:
    st.title("Accounts")
    store = shared_store()
    try:
        me = auth.require_session(store)  # the one guard of every change (see ui.auth)
    except auth.SignedOutError:
        st.rerun()  # the gate shows the sign-in form
    if me is None or not me.is_admin:
        st.error("Only an admin can manage accounts.")
        return
    if msg := st.session_state.pop("users_flash", None):
        st.success(msg)
    users = store.list_users()
    st.dataframe([{"name": csv_safe(u.name), "role": u.role, "since": f"{u.created_at:%Y-%m-%d}"} for u in users],
                 hide_index=True, use_container_width=True)

    with st.form("users_add", clear_on_submit=True):
        st.markdown("**Add an account**")
        name = st.text_input("Name")
        role = st.selectbox("Role", ROLES, index=ROLES.index("trainer"))
        pw1 = st.text_input("Password", type="password")
        pw2 = st.text_input("Password again", type="password")
        if st.form_submit_button("Add account"):
            try:
                if pw1 != pw2:
                    raise accounts.AccountError("The two passwords differ.")
                user = accounts.add_user(store, name, role, pw1)
            except StoreError as err:
                st.error(md_text(err))
            else:
                st.session_state["users_flash"] = f"Added {user.role} {md_text(repr(user.name))}."
                st.rerun()

    others = [u.name for u in users if u.id != me.id]
    if not others:
        return
    with st.form("users_change"):
        st.markdown("**Change an account**")
        who = st.selectbox("Account", others)
        new_pw = st.text_input("New password (to set one)", type="password")
        set_pw, remove = st.columns(2)
        do_set = set_pw.form_submit_button("Set new password")
        do_remove = remove.form_submit_button("Remove account")
        try:
            if do_set:
                accounts.reset_password(store, who, new_pw)
                st.session_state["users_flash"] = f"New password set for {md_text(repr(who))}."
                st.rerun()
            if do_remove:
                n = store.delete_user(who)
                st.session_state["users_flash"] = f"Removed {md_text(repr(who))}" + (
                    f"; admins now see its {n} client(s)." if n else ".")
                st.rerun()
        except StoreError as err:
            st.error(md_text(err))


if __name__ == "__main__":
    render_users_page()
