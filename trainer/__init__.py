"""The trainer workflow around the analysis engine: client history (``store``), session-to-session
comparison (``session_compare``) and the PDF screening report (``pdf_report``).

``vision/`` is the pipeline alone and never imports this package; this package and the UI use ``vision``.
"""
