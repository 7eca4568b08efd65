"""Excel add-in (xlwings) over the core."""
