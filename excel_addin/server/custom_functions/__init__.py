"""xlwings-server requires this package; the add-in defines no custom functions (the template's formulas do the sums)."""
