"""The engine (``vision/``) stands alone: it never imports the trainer workflow (``trainer/``).

The one exception is ``vision/__main__.py``, the command-line application (like ``app.py``), which
offers the trainer's PDF report and user commands and imports them lazily, only when asked.
"""

from __future__ import annotations

import ast
import subprocess
import sys

from conftest import REPO

CLI_EDGE = "__main__.py"


def _imported_modules(path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_no_engine_module_imports_the_trainer_package():
    offenders = {}
    for path in sorted((REPO / "vision").glob("*.py")):
        if path.name == CLI_EDGE:
            continue
        bad = {m for m in _imported_modules(path) if m == "trainer" or m.startswith("trainer.")}
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}


def test_trainer_modules_are_not_inside_vision():
    for name in ("store.py", "progress.py", "report_pdf.py", "report.py"):
        assert not (REPO / "vision" / name).exists(), name


def test_running_the_engine_loads_no_trainer_module():
    code = ("import sys, vision.analysis, vision.live, vision.overlay, vision.render, vision.export, vision.parallel\n"
            "print(sorted(m for m in sys.modules if m == 'trainer' or m.startswith('trainer.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_cli_imports_the_trainer_only_lazily():
    tree = ast.parse((REPO / "vision" / CLI_EDGE).read_text())
    top_level = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            top_level.add(node.module)
        elif isinstance(node, ast.Import):
            top_level.update(a.name for a in node.names)
    assert not any(m.startswith("trainer") for m in top_level)


def test_the_package_metadata_names_the_engine_version_the_json_reports():
    """``pyproject.toml``'s version is the one ``vision.__version__`` writes into every result's
    ``engine.version`` (it had stayed at 0.3.6 through six engine versions)."""
    import tomllib

    from vision import __version__

    with open(REPO / "pyproject.toml", "rb") as f:
        assert tomllib.load(f)["project"]["version"] == __version__
