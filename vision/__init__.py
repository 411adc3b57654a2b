"""squatcheck: a squat and knee-valgus screening engine (MediaPipe pose → NumPy geometry).

Layers, bottom to top. A module may import modules of its own layer and of the layers listed
before it, never one listed after it; and no import cycle anywhere, within a layer too.
``tests/test_layers.py`` reads this list and checks every module of ``vision/``, ``trainer/``,
``ui/`` and ``app.py``, imports inside functions included (a lazy import still ties the two modules
together: that is how the ``analysis`` ↔ ``parallel`` circle hid). ``pkg.*`` means the package ``pkg``
and every module below it.

    engine base: vision vision.errors vision.landmarks vision.thresholds vision.options vision.faults vision.images
    engine pure arrays: vision.geometry vision.filters vision.track
    engine input and output: vision.video vision.video_writer vision.pose vision.sampling vision.export
    engine signals: vision.signals vision.shots vision.reps
    engine per rep: vision.rep_frames vision.view
    engine judges: vision.movement vision.valgus
    engine assessment: vision.assess
    engine extraction: vision.extraction vision.parallel
    engine pipelines: vision.analysis vision.live vision.overlay vision.render
    engine runners: vision.batch vision.__main__
    trainer rules: trainer trainer.session_compare trainer.screening.*
    trainer store: trainer.store.errors trainer.store.media trainer.store.records trainer.store.database trainer.store.api trainer.store
    trainer services: trainer.accounts trainer.batch_sessions trainer.pdf_report trainer.screening.pdf
    trainer commands: trainer.users_cli trainer.screening.cli trainer.migrations.*
    ui base: ui ui.presenters ui.clients_presenters ui.screening_presenters ui.upload_guard ui.session_store ui.preload
    ui session: ui.auth ui.settings
    ui downloads: ui.downloads
    ui store actions: ui.store_actions
    ui forms: ui.save_form
    ui trainer pages: ui.clients_page ui.users_page
    ui results: ui.results_view
    ui controllers: ui.live_controller
    ui analysis pages: ui.analyze_page ui.live_page ui.screening_page
    app: app

What the layers are:

* The engine's settings are one frozen object, ``vision.options.AnalysisOptions`` (view, profile,
  mirroring, sex, model, extraction, workers, max side), at the bottom: built and validated once
  at each edge (command line, sidebar, batch, live page) and read where they are needed; a judge
  gets the value it decides on (the single-leg FPPA norm), not the setting it came from.
* The engine (``vision/``) is pure functions on NumPy arrays at the bottom (``geometry``,
  ``filters``, ``track``), then the signals, the per-rep frames, the judges (``valgus``,
  ``movement``) and ``assess``; ``extraction`` (decode + pose, one pass) and ``parallel`` (the
  same on segments at once) feed ``analysis``, the pipeline for files (``live`` for webcam
  frames); ``overlay`` draws the analysis on one frame and ``render`` streams a clip through it
  (annotated H.264, one still per rep); ``batch`` (Ray) and the command line (``__main__``) run it.
* ``trainer/`` (client history, accounts, PDF report, screening) uses the engine; the engine never
  imports it. The one exception: the command line ``vision/__main__.py`` may import ``trainer``
  modules inside the function of the subcommand that needs them (``--pdf``, ``users``, ``screen``),
  never at module level, so ``python -m vision analyze`` loads no trainer code
  (``tests/test_package_layout.py`` checks that at run time). It is the application entry
  point for a terminal, as ``app.py`` is for the browser; it only lives in ``vision/`` so that
  ``python -m vision`` runs it.
* ``ui/`` (Streamlit) uses both; ``ui.session_store`` (the one open store) is its bottom and
  ``ui.auth`` hands pages the store as the signed-in account may see it. The save-to-client form
  (``ui.save_form``) is shared by ``ui.results_view`` and ``ui.clients_page``, and a page's store changes
  from widget callbacks and their errors in plain words by the trainer pages (``ui.store_actions``); ``ui.live_controller``
  is the live page's set and frames, with no Streamlit call.
* ``app.py`` is on top.
"""

__version__ = "0.4.2"
