"""Reviewer workbench (ipywidgets) over the core and the store."""
