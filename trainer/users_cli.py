"""``python -m vision users add|list|remove|reset``: the accounts of the client history.

The password is read from standard input when it is not a terminal (its first line: for scripts
and the tests), else asked twice without echo. Accounts live in the same store as the clients
(``--db URL``, else ``$SQUATCHECK_DB_URL``, else the default SQLite file).
"""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from trainer.accounts import AccountError, add_user, reset_password
from trainer.store import ROLES, Store, StoreError, printable

EXIT_OK, EXIT_FAILED = 0, 2


def read_password(stdin: TextIO, *, prompt: str = "Password") -> str:
    if not stdin.isatty():
        line = stdin.readline()
        if not line:
            raise AccountError("No password given on standard input.")
        return line.rstrip("\r\n")
    first = getpass.getpass(f"{prompt}: ")
    if getpass.getpass(f"{prompt} again: ") != first:
        raise AccountError("The two passwords differ; nothing was changed.")
    return first


def run_users(args, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    try:
        with Store.open(args.db) as store:
            if args.action == "add":
                if args.role not in ROLES:
                    raise AccountError(f"Unknown role {args.role!r}: choose {' or '.join(ROLES)}.")
                user = add_user(store, args.name, args.role, read_password(stdin))
                print(f"Added {user.role} {user.name!r}.", file=out)
            elif args.action == "list":
                users = store.list_users()
                if not users:
                    print("No accounts yet: the app asks for no login on this computer. "
                          "Add the first admin with: python -m vision users add NAME --role admin", file=out)
                for u in users:
                    # names made before they were checked may hold escape codes: never print them raw
                    print(f"{printable(u.name)}\t{u.role}\tsince {u.created_at:%Y-%m-%d}", file=out)
            elif args.action == "remove":
                user, everyone = store.find_user(args.name), store.list_users()
                if user is not None and user.is_admin and len(everyone) > 1 \
                        and sum(u.is_admin for u in everyone) == 1:
                    raise AccountError("That is the last admin; add another admin before removing it.")
                clients = store.delete_user(args.name)
                print(f"Removed {args.name!r}" + (f"; admins now see its {clients} client(s)." if clients else "."),
                      file=out)
            elif args.action == "reset":
                if store.find_user(args.name) is None:  # say so before asking for a password
                    raise AccountError(f"No account called {args.name.strip()!r}.")
                user = reset_password(store, args.name, read_password(stdin, prompt="New password"))
                print(f"New password set for {user.name!r}.", file=out)
    except StoreError as err:  # AccountError, duplicates, unknown names, an unusable database
        print(f"error: {printable(err)}", file=sys.stderr)
        return EXIT_FAILED
    except (KeyboardInterrupt, EOFError):
        print("error: cancelled; nothing was changed.", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
