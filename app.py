"""SquatCheck web app: ``streamlit run app.py``.

Pages live in ``ui/``; the sidebar settings (``ui/settings.py``) are drawn here on every run so
they are shared by all pages through ``st.session_state``. The sign-in gate (``ui/auth.py``) runs
first: when a sign-in is needed, no page is even registered until someone has signed in.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from ui import auth, preload, results_view, settings, upload_guard

ROOT = Path(__file__).resolve().parent

st.set_page_config(page_title="SquatCheck", page_icon=":material/fitness_center:", layout="wide",
                   menu_items={"About": "SquatCheck: an offline squat and knee-valgus screening aid."})

# Clients' videos and records: whatever this process writes (uploads, recordings, annotated videos,
# the database, kept videos) is its owner's only, also files written by libraries (0600 / 0700).
os.umask(0o077)
preload.start()     # the engine's imports, in the background while the user picks a file
results_view.start_sweeper()  # temp videos older than an hour are deleted, even when nobody uploads
upload_guard.install()  # uploads only from sessions shown an uploader after sign-in, one file each (a screening: one per step)
user = auth.gate()  # stops the run at the sign-in form when a sign-in is needed

pages = [
    st.Page(ROOT / "ui" / "analyze_page.py", title="Analyse a video", icon=":material/movie:", url_path="analyse", default=True),
    st.Page(ROOT / "ui" / "live_page.py", title="Live webcam", icon=":material/videocam:", url_path="live"),
]
if (ROOT / "ui" / "clients_page.py").is_file():
    pages.append(st.Page(ROOT / "ui" / "clients_page.py", title="Clients", icon=":material/groups:", url_path="clients"))
    pages.append(st.Page(ROOT / "ui" / "screening_page.py", title="Screening", icon=":material/checklist:",
                         url_path="screening"))

if user is not None and user.is_admin:
    pages.append(st.Page(ROOT / "ui" / "users_page.py", title="Accounts", icon=":material/key:", url_path="accounts"))

page = st.navigation(pages)
auth.account_box(user)
settings.render_sidebar()
page.run()
