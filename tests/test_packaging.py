"""What an installed (not editable) copy of videoscout contains, and what importing it costs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")

ROOT = Path(__file__).resolve().parent.parent


def test_every_python_package_in_the_tree_is_installed():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    folders = {name: ROOT / path for name, path in setuptools["package-dir"].items()}
    folders["videoscout"] = ROOT / "videoscout"
    found = set()
    for name, folder in folders.items():
        for init in folder.rglob("__init__.py"):
            parts = init.parent.relative_to(folder).parts
            found.add(".".join((name, *parts)))
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_importing_videoscout_leaves_the_model_libraries_unloaded():
    """The CLI answers bad input before paying for torch, open_clip or transformers."""
    code = (
        "import sys, videoscout, videoscout.cli.main, videoscout.tools; "
        "print(sorted(m for m in ('torch', 'open_clip', 'transformers') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
