"""Screenings in the client store (schema v7): saved like sessions, per trainer, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from test_screening import CAVING, GOOD
from trainer import accounts
from trainer.screening import build_screening, compare_screenings
from trainer.store import ClientNotFoundError, ScreeningNotFoundError, Store

PASSWORD = "correct horse battery"
T0 = datetime(2026, 12, 7, 10, 0, tzinfo=timezone.utc)
T1 = datetime(2027, 1, 4, 10, 0, tzinfo=timezone.utc)


def test_screenings_are_saved_listed_compared_and_deleted_with_their_client(database_url: str, tmp_path):
    first = build_screening({"front": CAVING, "heels_raised": GOOD}, knee_to_wall_cm=(8.0, 11.0),
                            screened_on=date(2026, 12, 7))
    second = build_screening({"front": GOOD}, knee_to_wall_cm=(10.5, 11.0), screened_on=date(2027, 1, 4))
    with Store.open(database_url, media_dir=tmp_path / "media") as store:
        client = store.create_client("Screened Client")
        b = store.save_screening(client.id, second, screened_at=T1, notes="re-test")
        a = store.save_screening(client.id, first, screened_at=T0)
        got = store.list_screenings(client.id)
        assert [x.id for x in got] == [a.id, b.id]  # by date, not by save order
        assert got[0].result == first and got[0].branch == "ankle" and got[0].retest_on == "2027-01-04"
        assert got[1].branch == "not_needed" and got[1].notes == "re-test" and got[1].screened_at == T1
        assert store.previous_screening(b.id).id == a.id and store.previous_screening(a.id) is None
        c = store.save_screening(client.id, second, screened_at=T1)   # the same time as b: saved after it
        assert store.previous_screening(c.id).id == b.id and store.previous_screening(b.id).id == a.id
        store.delete_screening(c.id)
        change = compare_screenings(store.previous_screening(b.id).result, store.get_screening(b.id).result)
        assert {e["key"]: e["verdict"] for e in change["entries"]}["knee_to_wall_left_cm"] == "real: improved"
        assert store.update_screening_notes(a.id, "first").notes == "first"
        assert [s["id"] for s in store.export_client(client.id)["screenings"]] == [a.id, b.id]
        store.delete_screening(b.id)
        with pytest.raises(ScreeningNotFoundError):
            store.get_screening(b.id)
        store.delete_client(client.id)
        with pytest.raises(ScreeningNotFoundError):
            store.get_screening(a.id)


def test_a_trainer_sees_only_their_own_clients_screenings(database_url: str, tmp_path):
    result = build_screening({"front": CAVING}, pain=True, screened_on=date(2026, 12, 7))
    with Store.open(database_url, media_dir=tmp_path / "media") as store:
        admin = accounts.add_user(store, "Alice", "admin", PASSWORD)
        toms = store.for_user(accounts.add_user(store, "Tom", "trainer", PASSWORD))
        zoes = store.for_user(accounts.add_user(store, "Zoe", "trainer", PASSWORD))
        z_client = zoes.create_client("Zoe's Client")
        z_screen = zoes.save_screening(z_client.id, result, screened_at=T0)
        assert z_screen.referral is True
        for attempt in (lambda: toms.save_screening(z_client.id, result), lambda: toms.list_screenings(z_client.id)):
            with pytest.raises(ClientNotFoundError):
                attempt()
        for attempt in (lambda: toms.get_screening(z_screen.id), lambda: toms.previous_screening(z_screen.id),
                        lambda: toms.update_screening_notes(z_screen.id, "mine"),
                        lambda: toms.delete_screening(z_screen.id)):
            with pytest.raises(ScreeningNotFoundError):
                attempt()
        assert store.for_user(admin).get_screening(z_screen.id).id == z_screen.id
        assert zoes.get_screening(z_screen.id).notes == ""
