"""The sign-in gate (ui/auth.py) in the whole app, through Streamlit's AppTest, on a real SQLite file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from trainer import accounts
from trainer.store import ENV_DB_URL, Store
from ui import auth

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
PASSWORD = "correct horse battery"
TIMEOUT = 60


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "clients.db"
    monkeypatch.setenv(ENV_DB_URL, f"sqlite:///{path}")
    st.cache_resource.clear()
    yield path
    st.cache_resource.clear()


@pytest.fixture
def network_address():
    """The server option as `--server.address 0.0.0.0` sets it, restored afterwards."""
    old = st.get_option("server.address")
    st.config.set_option("server.address", "0.0.0.0")
    yield
    st.config.set_option("server.address", old)


def add_accounts(db: Path) -> dict[str, int]:
    with Store.open(db) as s:
        accounts.add_user(s, "Alice", "admin", PASSWORD)
        tom = accounts.add_user(s, "Tom", "trainer", PASSWORD)
        zoe = accounts.add_user(s, "Zoe", "trainer", PASSWORD)
        return {"tom": s.for_user(tom).create_client("Tina Tomsclient").id,
                "zoe": s.for_user(zoe).create_client("Zack Zoesclient").id}


def page_text(at: AppTest) -> str:
    parts = [e.value for e in (*at.markdown, *at.title, *at.header, *at.subheader, *at.caption, *at.error,
                                *at.info, *at.warning, *at.success, *at.code)]
    parts += [str(sb.options) for sb in at.selectbox]
    return "\n".join(map(str, parts))


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="auth_name").input(name)
    at.text_input(key="auth_password").input(password)
    return at.button[0].click().run(timeout=TIMEOUT)


def test_local_server_without_accounts_asks_for_nothing(db):
    assert auth.is_local_address(st.get_option("server.address"))  # .streamlit/config.toml
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "Sign in" not in page_text(at)
    assert any("Analyse" in t.value or "squat" in t.value.lower() for t in at.title)


def test_with_accounts_every_page_is_behind_the_sign_in_form(db):
    add_accounts(db)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    text = page_text(at)
    assert "Sign in" in text
    assert "Tomsclient" not in text and "Zoesclient" not in text
    assert [b.label for b in at.button] == ["Sign in"]  # no page, no upload, no widgets of a page
    assert at.get("file_uploader") == []

    sign_in(at, "Tom", "wrong password")
    assert "Wrong name or password." in [e.value for e in at.error]
    assert "Tomsclient" not in page_text(at)

    sign_in(at, "tom", PASSWORD)
    assert not at.exception
    assert at.session_state[auth.USER_KEY] is not None
    assert "Signed in as **Tom** (trainer)" in page_text(at)


def test_clients_page_shows_a_trainer_only_their_own_clients(db):
    add_accounts(db)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    sign_in(at, "Tom", PASSWORD)
    at.switch_page("ui/clients_page.py").run(timeout=TIMEOUT)
    assert not at.exception
    text = page_text(at)
    assert "Tina Tomsclient" in text and "Zoesclient" not in text
    sign_out = next(b for b in at.button if b.label == "Sign out")
    sign_out.click().run(timeout=TIMEOUT)
    text = page_text(at)
    assert "Sign in" in text and "Tomsclient" not in text


def test_an_admin_sees_every_client_and_the_accounts_page(db):
    add_accounts(db)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    sign_in(at, "Alice", PASSWORD)
    at.switch_page("ui/clients_page.py").run(timeout=TIMEOUT)
    text = page_text(at)
    assert "Tina Tomsclient" in text and "Zack Zoesclient" in text
    at.switch_page("ui/users_page.py").run(timeout=TIMEOUT)
    assert not at.exception
    assert [t.value for t in at.title] == ["Accounts"]


def test_network_server_without_accounts_shows_no_client_data(db, network_address):
    with Store.open(db) as s:
        s.create_client("Nina Nobodyseen")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    text = page_text(at)
    assert "Nobodyseen" not in text
    assert auth.FIRST_ADMIN_COMMAND in text
    assert len(at.button) == 0 and len(at.text_input) == 0  # not even a sign-in form to guess at


def test_network_server_with_accounts_asks_for_sign_in(db, network_address):
    add_accounts(db)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert "Sign in" in page_text(at) and "Tomsclient" not in page_text(at)


def test_an_idle_session_is_signed_out(db, monkeypatch):
    add_accounts(db)
    monkeypatch.setenv("SQUATCHECK_IDLE_MINUTES", "1")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    sign_in(at, "Tom", PASSWORD)
    assert "Signed in as **Tom** (trainer)" in page_text(at)
    at.session_state[auth.SEEN_KEY] = time.time() - 61
    at.run(timeout=TIMEOUT)
    text = page_text(at)
    assert "signed out after a period of inactivity" in text and "Signed in as" not in text


def test_a_removed_account_is_signed_out(db):
    add_accounts(db)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    sign_in(at, "Tom", PASSWORD)
    with Store.open(db) as s:
        s.delete_user("Tom")
    at.run(timeout=TIMEOUT)
    assert "Your account no longer exists" in page_text(at)


@pytest.mark.parametrize("address, local", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                            ("0.0.0.0", False), ("", False), (None, False),
                                            ("192.168.1.20", False), ("gym-pc.lan", False)])
def test_which_addresses_are_local(address, local):
    assert auth.is_local_address(address) is local


def clients_page_as(db: Path, name: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("SQUATCHECK_IDLE_MINUTES", "1")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    sign_in(at, name, PASSWORD)
    at.switch_page("ui/clients_page.py").run(timeout=TIMEOUT)
    assert not at.exception
    return at


def test_an_action_clicked_after_the_idle_timeout_changes_nothing(db, monkeypatch):
    """Streamlit runs on_click callbacks before the script body (and so before the gate): each
    callback must check the session itself."""
    ids = add_accounts(db)
    at = clients_page_as(db, "Tom", monkeypatch)
    at.text_input(key="clients_new_name").input("Late Larry")
    at.session_state[auth.SEEN_KEY] = time.time() - 61  # idle past the timeout, then click
    next(b for b in at.button if b.label == "Add client").click().run(timeout=TIMEOUT)
    assert "signed out" in page_text(at).lower() and "Signed in as" not in page_text(at)
    with Store.open(db) as s:
        assert s.find_client("Late Larry") is None

    at = clients_page_as(db, "Tom", monkeypatch)
    at.text_input(key=f"clients_del_confirm_{ids['tom']}").input("Tina Tomsclient")
    at.session_state[auth.SEEN_KEY] = time.time() - 61
    next(b for b in at.button if b.label == "Delete this client and all their data").click().run(timeout=TIMEOUT)
    assert "Signed in as" not in page_text(at)
    with Store.open(db) as s:
        assert s.get_client(ids["tom"]).name == "Tina Tomsclient"  # not erased


def test_a_password_reset_ends_the_sessions_signed_in_with_the_old_one(db, monkeypatch):
    ids = add_accounts(db)
    at = clients_page_as(db, "Tom", monkeypatch)
    with Store.open(db) as s:
        accounts.reset_password(s, "Tom", "a brand new password")
    # the next action of the old session is refused inside its callback, before the store
    at.text_input(key=f"clients_del_confirm_{ids['tom']}").input("Tina Tomsclient")
    next(b for b in at.button if b.label == "Delete this client and all their data").click().run(timeout=TIMEOUT)
    assert "password was changed" in page_text(at) and "Signed in as" not in page_text(at)
    with Store.open(db) as s:
        assert s.get_client(ids["tom"]).name == "Tina Tomsclient"


def test_the_sign_in_form_uses_the_shared_throttle_and_unknown_names_cost_the_same(db, monkeypatch):
    """Through the form: the fifth wrong password in a row waits (the store's throttle, its sleep
    patched), and a name with no account costs the same Argon2 work as one with an account."""
    from argon2 import PasswordHasher

    add_accounts(db)
    now = [2_000_000.0]
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(round(seconds, 6))
        now[0] += seconds

    monkeypatch.setattr(accounts.THROTTLE, "clock", lambda: now[0])
    monkeypatch.setattr(accounts.THROTTLE, "sleep", sleep)
    verified: list[str] = []
    real_verify = PasswordHasher.verify
    monkeypatch.setattr(PasswordHasher, "verify",
                        lambda self, h, p: (verified.append(h), real_verify(self, h, p))[1])
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    for name in ("Tom", "Nobody"):
        verified.clear()
        for _ in range(accounts.FREE_TRIES):
            sign_in(at, name, "wrong password")
        assert waited == []
        sign_in(at, name, "wrong password")
        assert waited == [2.0] and "Wrong name or password." in [e.value for e in at.error]
        assert len(verified) == accounts.FREE_TRIES + 1  # one Argon2 check per try, known name or not
        waited.clear()


def test_a_trainer_sees_no_server_paths_on_the_clients_page(db, tmp_path):
    ids = add_accounts(db)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not really a video")
    with Store.open(db) as s:
        s.save_session(ids["tom"], {"reps": [], "view": "front"}, video_path=clip, keep_video=True)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    sign_in(at, "Tom", PASSWORD)
    at.switch_page("ui/clients_page.py").run(timeout=TIMEOUT)
    export = next(b for b in at.button if b.label == "Export all data for this client")
    export.click().run(timeout=TIMEOUT)
    assert not at.exception
    text = page_text(at) + "\n".join(str(e.value) for e in at.text)
    assert "Tina Tomsclient" in text
    for line in text.splitlines():
        assert str(tmp_path) not in line and "/videos/" not in line, line
