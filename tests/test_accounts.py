"""Accounts: the ``users`` commands, password hashing, the sign-in throttle and what each account sees."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from trainer import accounts
from trainer.store import ClientNotFoundError, SessionNotFoundError, Store, StoreError

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


class FakeClock:
    """A clock that only the throttle's sleep moves."""

    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t, self.waited = t, []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.waited.append(round(seconds, 6))
        self.t += seconds


def test_throttle_delays_the_fifth_wrong_try_in_a_row_and_a_success_resets_it(tmp_path: Path):
    clock = FakeClock()
    throttle = accounts.LoginThrottle(clock=clock, sleep=clock.sleep)
    waited = clock.waited
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
    assert accounts.throttle_delay(40) == accounts.MAX_DELAY_S
    assert [accounts.throttle_delay(n) for n in range(4, 9)] == [2.0, 4.0, 8.0, 16.0, 30.0]


def test_concurrent_wrong_tries_each_wait_their_turn(tmp_path: Path):
    """Five tries sent at once, after six wrong ones, wait as long as five tries sent one after the
    other would: each is counted before it is answered. (The old throttle read the delay first and
    counted after: all five waited 8 s.) The clock stands still; the patched sleep holds every try
    until all five are sleeping, so none can count its failure before the others read theirs."""
    import threading

    clock = FakeClock()
    with Store.open(tmp_path / "c.db") as s:
        accounts.add_user(s, "root", "admin", PASSWORD)
        setup = accounts.LoginThrottle(clock=clock, sleep=clock.sleep)
        for _ in range(6):
            accounts.authenticate(s, "root", "wrong password", setup)
        clock.waited.clear()

        barrier = threading.Barrier(5, timeout=20)
        waits: list[float] = []
        lock = threading.Lock()

        def sleep(seconds: float) -> None:  # the clock does not move: all five are "at once"
            with lock:
                waits.append(round(seconds, 6))
            barrier.wait()

        throttle = accounts.LoginThrottle(clock=clock, sleep=sleep)
        results, errors = [], []

        def one_try() -> None:
            try:
                results.append(accounts.authenticate(s, "root", "wrong password", throttle))
            except Exception as err:  # noqa: BLE001
                errors.append(err)

        threads = [threading.Thread(target=one_try) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == [] and results == [None] * 5
        assert sorted(waits) == [8.0, 8.0 + 16, 8.0 + 16 + 30, 8.0 + 16 + 30 + 30, 8.0 + 16 + 30 + 30 + 30]
        assert throttle.failures(s, "root") == 11


def test_the_throttle_survives_a_restart(tmp_path: Path):
    clock = FakeClock()
    with Store.open(tmp_path / "c.db") as s:
        accounts.add_user(s, "Alice", "admin", PASSWORD)
        for _ in range(accounts.FREE_TRIES):
            accounts.authenticate(s, "Alice", "wrong password", accounts.LoginThrottle(clock=clock, sleep=clock.sleep))
    assert clock.waited == []
    with Store.open(tmp_path / "c.db") as s:  # a new process: a new store and a new throttle
        accounts.authenticate(s, "Alice", "wrong password", accounts.LoginThrottle(clock=clock, sleep=clock.sleep))
    assert clock.waited == [2.0]


def test_an_unknown_name_costs_the_same_hashing_work_as_a_known_one(tmp_path: Path, monkeypatch):
    """A timing oracle for account names would need an unknown name to skip the Argon2 work."""
    from argon2 import PasswordHasher

    calls: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self, hash_, password):
        calls.append(hash_)
        return real_verify(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    clock = FakeClock()
    throttle = accounts.LoginThrottle(clock=clock, sleep=clock.sleep)
    with Store.open(tmp_path / "c.db") as s:
        known = accounts.add_user(s, "Alice", "admin", PASSWORD)
        costs = {}
        for name in ("Alice", "Mallory", "", "x" * 500):
            calls.clear()
            assert accounts.authenticate(s, name, "wrong password", throttle) is None
            costs[name[:10]] = [PasswordHasher().check_needs_rehash(h) for h in calls]
    # one Argon2 verification each, with the same parameters as a real account's hash
    assert all(c == [False] for c in costs.values()), costs
    assert not PasswordHasher().check_needs_rehash(known.password_hash)


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
        assert zoes.get_client(z_client.id).name == "Zoe's Client"  # untouched

        # removing a trainer hands its clients to the admins
        assert store.delete_user("Tom") == 1
        assert t_client.id in {c.id for c in store.for_user(admin).list_clients()}
        assert [c.name for c in zoes.list_clients()] == ["Zoe's Client"]


def test_client_names_are_unique_only_among_what_the_trainer_sees(tmp_path: Path):
    """No name oracle: whether another trainer has a client by some name is never told."""
    from trainer.store import DuplicateClientError

    with Store.open(tmp_path / "c.db") as store:
        admin = accounts.add_user(store, "Alice", "admin", PASSWORD)
        toms = store.for_user(accounts.add_user(store, "Tom", "trainer", PASSWORD))
        zoes = store.for_user(accounts.add_user(store, "Zoe", "trainer", PASSWORD))
        z_anna = zoes.create_client("Anna Smith")
        t_anna = toms.create_client("anna  smith")  # Zoe's client is none of Tom's business
        t_bob = toms.create_client("Bob Brown")
        toms.rename_client(t_bob.id, "Zed Zoe-only")  # renaming is checked the same way
        zoes.create_client("Zed Zoe-only")
        with pytest.raises(DuplicateClientError) as err:  # his own duplicate: told plainly
            toms.create_client("ANNA SMITH")
        assert str(err.value) == "A client called 'ANNA SMITH' already exists."
        with pytest.raises(DuplicateClientError):
            toms.rename_client(t_bob.id, "Anna Smith")
        # the admin sees both Annas and may not add a third
        assert [c.id for c in store.for_user(admin).list_clients() if c.name.lower() == "anna smith"] == \
            sorted([z_anna.id, t_anna.id])
        with pytest.raises(DuplicateClientError):
            store.for_user(admin).create_client("Anna Smith")
        # a removed trainer's clients go to the admins; a name they already have gets the trainer's name
        store.for_user(admin).create_client("Carl Clash")
        toms.create_client("Carl Clash")
        store.delete_user("Tom")
        names = sorted((c.name for c in store.list_clients()), key=str.casefold)
        assert names == ["Anna Smith", "anna smith", "Carl Clash", "Carl Clash (Tom)", "Zed Zoe-only",
                         "Zed Zoe-only"]


def test_find_client_finds_only_the_trainers_own_client(tmp_path: Path):
    """Batch saves find their client with Store.find_client: a trainer's view must never find
    another trainer's client, even one with the same name or the only one by that name."""
    with Store.open(tmp_path / "c.db") as store:
        toms = store.for_user(accounts.add_user(store, "Tom", "trainer", PASSWORD))
        zoes = store.for_user(accounts.add_user(store, "Zoe", "trainer", PASSWORD))
        t_only = toms.create_client("Tina Tomsclient")
        assert zoes.find_client("Tina Tomsclient") is None
        assert toms.find_client("tina  TOMSCLIENT").id == t_only.id
        z_anna = zoes.create_client("Anna Smith")
        t_anna = toms.create_client("Anna Smith")
        assert zoes.find_client("anna smith").id == z_anna.id
        assert toms.find_client("anna smith").id == t_anna.id
        # the whole store (the command line) refuses to guess between two trainers' clients
        with pytest.raises(Exception, match="Several trainers"):
            store.find_client("Anna Smith")
        assert store.find_client("Tina Tomsclient").id == t_only.id


@pytest.mark.parametrize("name", ["ro\tot", "r\x1b[31moot", "ro\u200bot", "root\u202e", "bell\x07"])
def test_account_names_with_control_or_invisible_characters_are_refused(tmp_path: Path, name: str):
    with Store.open(tmp_path / "c.db") as s:
        with pytest.raises(StoreError, match="only printable characters"):
            accounts.add_user(s, name, "trainer", PASSWORD)
        assert s.list_users() == []


@pytest.mark.parametrize("look_alike", ["rооt", "R00T", "r o o t", "ｒｏｏｔ", "rôot"])
def test_look_alikes_of_an_existing_account_name_are_refused(tmp_path: Path, look_alike: str):
    with Store.open(tmp_path / "c.db") as s:
        accounts.add_user(s, "root", "admin", PASSWORD)
        with pytest.raises(StoreError, match="already exists|looks too much like"):
            accounts.add_user(s, look_alike, "trainer", PASSWORD)
        assert [u.name for u in s.list_users()] == ["root"]
        accounts.add_user(s, "Rosa", "trainer", PASSWORD)  # a different name is fine
        assert s.find_user("ｒｏｏｔ").name == "root"  # NFKC: full-width letters sign in as themselves


def test_users_list_never_prints_escape_codes_raw(tmp_path: Path):
    db = tmp_path / "c.db"
    with Store.open(db) as s:
        accounts.add_user(s, "Alice", "admin", PASSWORD)
    with sqlite3.connect(db) as con:  # a name stored before names were checked
        con.execute("UPDATE users SET name = ? WHERE name = 'Alice'", ("Al\x1b[2Jice\u200b",))
    out = users_cli(db, "list").stdout
    assert "\x1b" not in out and "\u200b" not in out
    assert out.split("\t")[0] == "Al\\x1b[2Jice\\u200b"
