"""ui.store_actions.plain: any failure as one sentence a trainer can read, no server file names."""

from trainer.store import ClientNotFoundError
from ui.clients_presenters import md_text
from ui.store_actions import plain


def test_an_os_error_keeps_its_reason_and_drops_the_server_path():
    err = PermissionError(13, "Permission denied", "/srv/squatcheck/clients.db")
    text = plain(err, "read the screenings")
    assert text == md_text("Could not read the screenings: Permission denied.")   # shown as text
    assert "/srv" not in text and "clients.db" not in text


def test_a_store_error_is_said_as_it_is_and_anything_else_by_its_first_line():
    assert plain(ClientNotFoundError("No client with id 7 (it may have been deleted)."), "x") == \
        md_text("No client with id 7 (it may have been deleted).")
    assert plain(RuntimeError("boom\ntraceback noise"), "list the clients") == md_text("Could not list the clients: boom.")
    assert plain(ValueError(), "save") == md_text("Could not save: ValueError.")
