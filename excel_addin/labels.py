"""Every Chinese label the add-in itself shows: sheet and column names, colours, summary lines, alerts.

Finding messages are not here: they come from shared/findings.py, word for word as the reviewers see them.
"""
from __future__ import annotations

RIBBON_TAB = "节约型机关"
BUTTONS = {
    "validate": "校验",
    "score": "计算得分",
    "attach_evidence": "添加佐证材料",
    "pack": "打包提交",
}

RESULT_SHEET = "校验结果"
RESULT_HEADERS = ["序号", "严重程度", "需修改的单元格", "规则/项目", "问题说明及修改方法"]
RESULT_CELL_COLUMN = 3  # the column of RESULT_HEADERS that holds the cell address
RESULT_WIDTHS = [6, 10, 18, 10, 100]
SEVERITY = {"error": "错误", "warning": "提醒"}
NO_FINDINGS_ROW = "未发现问题。"

# Fill colours of offending cells (Excel's light red and light orange).
ERROR_COLOR = "#FFC7CE"
WARNING_COLOR = "#FFEB9C"

TITLE = "节约型机关创建评价"

VALIDATE_OK = "校验通过：未发现问题。"
VALIDATE_FOUND = "校验完成：发现 {errors} 个错误、{warnings} 个提醒。\n详见“{sheet}”工作表，需修改的单元格已用颜色标出（红色为错误，橙色为提醒）。"
EVIDENCE_NOT_CHECKED = "本工作簿尚未保存到本机文件夹，未核对佐证材料文件是否存在；打包提交时会核对。"

SCORE_LINES = (
    "自评分（表中保存）：{claimed}\n"
    "按评分规则重新计算：{rescored}\n"
    "有佐证材料支撑的得分：{evidenced}\n"
    "{verdict}"
)
POINTS = "{value} 分"
SCORE_UNKNOWN = "无（公式未计算）"
EVIDENCE_UNKNOWN = "未核对（工作簿尚未保存到本机）"
QUALIFIES = "重新计算得分达到 {threshold} 分，符合节约型机关创建要求。"
NOT_QUALIFIES = "重新计算得分未达到 {threshold} 分，还差 {short} 分。"
EVIDENCE_SHORT = "注意：有佐证材料支撑的得分未达到 {threshold} 分，请补齐佐证材料。"
# An edition judged on more than its total (必须完成项, ★ 项, further conditions, grades).
JUDGED = "重新计算结果：{verdict}。\n通过条件：{rule}。"

ATTACHED = "已为规则 {rule} 添加 {count} 个佐证材料：\n{paths}"
NEED_SAVED = "请先把工作簿保存到本机文件夹（.xlsx），再{action}。佐证材料会放在工作簿旁的“佐证材料”文件夹中。"
NEED_RULE = "请先在“自评表”中选中要添加佐证材料的评分规则所在行（分项得分或佐证材料单元格），再点“添加佐证材料”。"
COMPUTED_RULE = "规则 {rule} 由备案表能耗数据自动计算，不需要佐证材料。"
NO_FILES = "没有选择文件。"
FILE_MISSING = "找不到文件“{path}”。"
ACTION_ATTACH = "添加佐证材料"
ACTION_PACK = "打包提交"

PACK_DONE = "已生成申报包：\n{path}\n\n{summary}\n请把这个 .zip 文件提交给市机关事务管理局。"
PACK_BLOCKED = "还有 {errors} 个错误，暂不打包。请按“{sheet}”工作表逐条修改后再点“打包提交”。"
PACK_REJECTED = "申报包未通过复核（{count} 个佐证材料问题），已删除。请按“{sheet}”工作表修改后重试。"
PACK_NEEDS_NAME = "请先在备案表中填写单位名称和创建年度。"

ZIP_NAME = "{org}_节约型机关申报_{year}.zip"

# The desktop file picker's title; vba/JyjgAddin.bas holds it as UTF-16 hex (PICKER_TITLE_HEX), checked by tests.
PICKER_TITLE = "选择佐证材料（可多选）"

WEB_NEEDS_DESKTOP = ("网页版 Excel 不能读写本机文件。“添加佐证材料”和“打包提交”请在装有本加载项的电脑上用桌面版 Excel 完成；"
                     "也可以手工把工作簿和“佐证材料”文件夹放在同一文件夹中压缩为 .zip 提交。")
