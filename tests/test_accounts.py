"""Accounts: the ``users`` commands, password hashing, the sign-in throttle and what each account sees."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from trainer import accounts
from trainer.store import ClientNotFoundError, SessionNotFoundError, Store

PASSWORD = "correct horse battery"


def users_cli(db: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vision", "users", *args, "--db", str(db)], cwd=REPO,
                          input=stdin, capture_output=True, text=True, timeout=120)


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_users_add_list_reset_remove(tmp_path: Path):
    db = tmp_path / "clients.db"
    added = users_cli(db, "add", "Alice Admin", "--role", "admin", stdin=PASSWORD + "\n")
    assert added.returncode == 0 and added.stdout.strip() == "Added admin 'Alice Admin'.", added.stderr
    assert users_cli(db, "add", "Tom", stdin="tom's password\n").stdout.strip() == "Added trainer 'Tom'."
    listed = users_cli(db, "list").stdout.splitlines()
    assert [ln.split("\t")[:2] for ln in listed] == [["Alice Admin", "admin"], ["Tom", "trainer"]]

    with Store.open(db) as s:
        old_hash = s.find_user("tom").password_hash
    assert users_cli(db, "reset", "TOM", stdin="a brand new one\n").stdout.strip() == "New password set for 'Tom'."
    with Store.open(db) as s:
        tom = s.find_user("Tom")
        assert tom.password_hash != old_hash
        assert accounts.authenticate(s, "Tom", "a brand new one", accounts.LoginThrottle()) == tom
        assert accounts.authenticate(s, "Tom", "tom's password", accounts.LoginThrottle()) is None

    removed = users_cli(db, "remove", "tom")
    assert removed.returncode == 0 and removed.stdout.strip() == "Removed 'tom'."
    assert [ln.split("\t")[0] for ln in users_cli(db, "list").stdout.splitlines()] == ["Alice Admin"]


def test_duplicate_name_wrong_role_short_password_and_unknown_names_are_refused(tmp_path: Path):
    db = tmp_path / "clients.db"
    assert users_cli(db, "add", "Alice", "--role", "admin", stdin=PASSWORD + "\n").returncode == 0
    assert one_error_line(users_cli(db, "add", "  alice ", stdin=PASSWORD + "\n")) == \
        "error: An account called 'alice' already exists."
    assert one_error_line(users_cli(db, "add", "Bob", "--role", "boss", stdin=PASSWORD + "\n")) == \
        "error: Unknown role 'boss': choose admin or trainer."
    assert one_error_line(users_cli(db, "add", "Bob", stdin="short\n")) == \
        "error: A password needs at least 8 characters."
    assert one_error_line(users_cli(db, "add", "Bob")) == "error: No password given on standard input."
    assert one_error_line(users_cli(db, "remove", "Nobody")) == "error: No account called 'Nobody'."
    assert one_error_line(users_cli(db, "reset", "Nobody", stdin=PASSWORD + "\n")) == \
        "error: No account called 'Nobody'."
    assert [ln.split("\t")[0] for ln in users_cli(db, "list").stdout.splitlines()] == ["Alice"]


def test_the_stored_record_holds_no_plain_password(tmp_path: Path):
    db = tmp_path / "clients.db"
    assert users_cli(db, "add", "Alice", "--role", "admin", stdin=PASSWORD + "\n").returncode == 0
    with sqlite3.connect(db) as con:
        (stored,) = con.execute("SELECT password_hash FROM users").fetchone()
        dump = "\n".join(con.iterdump())
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PASSWORD not in dump
    for f in tmp_path.iterdir():  # nor in the file, its WAL or anything beside it
        assert PASSWORD.encode() not in f.read_bytes()


def test_last_admin_cannot_be_removed_while_trainers_remain(tmp_path: Path):
    db = tmp_path / "clients.db"
    users_cli(db, "add", "Alice", "--role", "admin", stdin=PASSWORD + "\n")
    users_cli(db, "add", "Tom", stdin=PASSWORD + "\n")
    assert "last admin" in one_error_line(users_cli(db, "remove", "Alice"))


def test_throttle_delays_the_fifth_wrong_try_in_a_row_and_a_success_resets_it(tmp_path: Path):
    waited: list[float] = []
    throttle = accounts.LoginThrottle(sleep=waited.append)
    with Store.open(tmp_path / "c.db") as s:
        accounts.add_user(s, "Alice", "admin", PASSWORD)
        for _ in range(accounts.FREE_TRIES):
            assert accounts.authenticate(s, "Alice", "wrong password", throttle) is None
        assert waited == []  # four wrong tries: answered at once
        assert accounts.authenticate(s, "alice", "wrong password", throttle) is None
        assert waited == [2.0]  # the fifth waits
        assert accounts.authenticate(s, "Alice", "wrong password", throttle) is None
        assert waited == [2.0, 4.0]
        assert accounts.authenticate(s, "Alice", PASSWORD, throttle) is not None  # still waits, then succeeds
        assert waited == [2.0, 4.0, 8.0]
        assert accounts.authenticate(s, "Alice", "wrong password", throttle) is None
        assert waited == [2.0, 4.0, 8.0]  # the run was reset by the success
        # an unknown name is throttled the same way (the form does not tell which names exist)
        for _ in range(accounts.FREE_TRIES + 1):
            assert accounts.authenticate(s, "Mallory", "guess", throttle) is None
        assert waited[-1] == 2.0


def test_delay_is_capped():
    throttle = accounts.LoginThrottle(sleep=lambda s: None)
    for _ in range(40):
        throttle.failed("x")
    assert throttle.delay_for("x") == accounts.MAX_DELAY_S


def test_a_trainer_sees_and_changes_only_their_own_clients(tmp_path: Path):
    with Store.open(tmp_path / "c.db") as store:
        admin = accounts.add_user(store, "Alice", "admin", PASSWORD)
        tom = accounts.add_user(store, "Tom", "trainer", PASSWORD)
        zoe = accounts.add_user(store, "Zoe", "trainer", PASSWORD)
        toms, zoes = store.for_user(tom), store.for_user(zoe)
        t_client = toms.create_client("Tom's Client")
        z_client = zoes.create_client("Zoe's Client")
        z_session = zoes.save_session(z_client.id, {"reps": [], "view": "front"})

        assert [c.name for c in toms.list_clients()] == ["Tom's Client"]
        assert [c.name for c in store.for_user(admin).list_clients()] == ["Tom's Client", "Zoe's Client"]
        for attempt in (lambda: toms.get_client(z_client.id), lambda: toms.list_sessions(z_client.id),
                        lambda: toms.rename_client(z_client.id, "Mine now"), lambda: toms.delete_client(z_client.id),
                        lambda: toms.save_session(z_client.id, {"reps": []}), lambda: toms.export_client(z_client.id),
                        lambda: toms.trend(z_client.id), lambda: toms.set_client_notes(z_client.id, "x")):
            with pytest.raises(ClientNotFoundError):
                attempt()
        for attempt in (lambda: toms.get_session(z_session.id), lambda: toms.delete_session(z_session.id),
                        lambda: toms.update_session_notes(z_session.id, "x"),
                        lambda: toms.previous_session(z_session.id)):
            with pytest.raises(SessionNotFoundError):
                attempt()
        # a name taken by another trainer's client is refused without saying whose it is
        with pytest.raises(Exception, match="already used for a client in this gym") as err:
            toms.create_client("zoe's client")
        assert "Zoe" not in str(err.value).replace("zoe's client", "")
        assert zoes.get_client(z_client.id).name == "Zoe's Client"  # untouched

        # removing a trainer hands its clients to the admins
        assert store.delete_user("Tom") == 1
        assert t_client.id in {c.id for c in store.for_user(admin).list_clients()}
        assert [c.name for c in zoes.list_clients()] == ["Zoe's Client"]
