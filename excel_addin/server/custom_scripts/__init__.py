"""xlwings-server's custom scripts for this project: the add-in's actions (excel_addin/custom_scripts.py)."""
from excel_addin.custom_scripts import attach_evidence, pack, score, validate  # noqa: F401
