"""节约型机关创建评价系统的核心: rubric, scoring, workbook reading and writing, checks, store.

Pure Python: nothing here imports Excel, xlwings or Jupyter.
"""
