"""Excel add-in (xlwings) over the core.

What it needs at run time ships inside the package (pyproject.toml's package data), so an installed wheel
works as a checkout does: the ribbon (ribbon/), the VBA module (vba/) and the xlwings-server project
folder (SERVER_DIR, for XLWINGS_PROJECT_DIR).
"""
from pathlib import Path

SERVER_DIR = Path(__file__).resolve().parent / "server"
