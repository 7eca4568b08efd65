"""The workbench's screens, one module each (see workbench/screen.py)."""
