"""The one table of finding codes: severity and the Chinese message template of each kind.

A kind is `code` or `code/variant`; the code (before the slash) is what CONTRACT.md names.
Messages read location → rule → context → fix, e.g.
「市委办公室.zip › 自评表!F23（规则 2.2.5）：填报 6 分，超过本项最高 4 分。请改为 0–4 分。」
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Kind:
    code: str
    severity: str
    template: str  # str.format fields; {where} is always supplied
    # The same template for the % operator, which fills a Chinese template in half the time format_map
    # takes (a bare workbook's check makes some 35 findings). Fields are plain names, each str()'d alike.
    filled_by_percent: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "filled_by_percent", _percent_template(self.template))


_FIELD = re.compile(r"\{([A-Za-z_]\w*)\}")


def _percent_template(template: str) -> str:
    """`template` in %(name)s form. Only plain {name} fields are allowed (no braces, specs or conversions)."""
    percent = _FIELD.sub(r"%(\1)s", template.replace("%", "%%"))
    if "{" in percent or "}" in percent:
        raise ValueError(f"a finding template may hold only plain {{name}} fields: {template!r}")
    return percent


KINDS: dict[str, Kind] = {}


def _kind(key: str, severity: str, template: str) -> None:
    KINDS[key] = Kind(key.split("/")[0], severity, template)


# Whole file or package.
_kind("unreadable", ERROR, "{where}：无法打开（{reason}）。请用 Excel 或 WPS 另存为 .xlsx 工作簿，或把工作簿和“佐证材料”文件夹一起压缩为 .zip 后重新提交。")
_kind("unreadable/empty", ERROR, "{where}：文件是空的（0 字节）。请重新导出并提交完整的自评表。")
_kind("unreadable/xls", ERROR, "{where}：这是旧版 .xls/.xlsb 文件，无法校验。请在 Excel 或 WPS 中打开后“另存为”Excel 工作簿（.xlsx）再提交。")
_kind("unreadable/encrypted", ERROR, "{where}：文件设置了打开密码，无法读取。请取消密码后另存为 .xlsx 再提交。")
_kind("unreadable/no_workbook", ERROR, "{where}：包中没有找到 .xlsx 自评表。请把填好的自评表和“佐证材料”文件夹放在同一文件夹中打包。")
_kind("unreadable/many_workbooks", ERROR, "{where}：包中有 {count} 个工作簿（{names}），无法确定哪一个是自评表。每个申报包只放一个自评表。")
_kind("unreadable/timeout", ERROR, "{where}：校验超时（超过 {seconds} 秒仍未完成），已停止校验这份材料，其余材料照常校验。文件可能已损坏或是恶意构造的，请用 Excel 或 WPS 打开后重新“另存为”.xlsx，再与“佐证材料”一起提交。")
_kind("unreadable/crashed", ERROR, "{where}：校验时校验进程意外终止（两次），可能是文件过大或已损坏，已跳过这份材料，其余材料照常校验。请用 Excel 或 WPS 打开后重新“另存为”.xlsx 再提交。")
_kind("not_a_template", ERROR, "{where}：这不是本系统的自评表（找不到规定的单元格名称，如 total_score、score_2_2_5）。请从《自评表.xlsx》模板填写后提交，不要复制到其他表格中。")
_kind("not_a_template/edition", ERROR, "{where}：这份自评表是按{filled}的模板填写的，{year}应使用{required}。已按{required}重新计分，模板中没有的规则按 0 分计。请下载{year}的《自评表》模板重新填写后提交。")
_kind("not_a_template/unknown_edition", ERROR, "{where}：自评表标明的评价指标版本“{value}”不是本系统已有的版本，已按{year}适用的{required}重新计分。请下载{year}的《自评表》模板重新填写后提交。")
_kind("package_unsafe", ERROR, "{where}：压缩包中的“{entry}”{reason}，为安全起见整个包不予解压。请直接压缩申报文件夹后重新提交。")
_kind("package_unsafe/too_big", ERROR, "{where}：压缩包解压后过大（{reason}），为安全起见不予解压。请删除与申报无关的大文件，压缩图片后重新提交。")

# 备案表.
_kind("field_missing", ERROR, "{where} › 备案表{cell}（{label}）：未填写。请填写{label}。")
_kind("field_missing/category", ERROR, "{where} › 备案表{cell}（单位类别）：填写为“{value}”，应为“{categories}”。请从下拉列表中选择。")
_kind("field_missing/year", ERROR, "{where} › 备案表{cell}（创建年度）：“{value}”不是有效年度。请填写四位数年份，如 2020。")
_kind("text_length", WARNING, "{where} › 备案表{cell}（{label}）：现有 {length} 字，要求{limit}。请{fix}。")

# 分项得分.
_kind("invalid_value/text", ERROR, "{where} › 自评表{cell}（规则 {rule}）：填报“{value}”不是数值，按 0 分计。请从下拉列表中选择 {allowed}之一。")
_kind("invalid_value/number_as_text", ERROR, "{where} › 自评表{cell}（规则 {rule}）：“{value}”是文本格式的数字，按 0 分计。请把单元格格式改为数值后重新输入，或从下拉列表中选择 {allowed}之一。")
_kind("invalid_value/negative", ERROR, "{where} › 自评表{cell}（规则 {rule}）：填报 {value} 分为负数，按 0 分计。请从 {allowed}中选择。")
_kind("invalid_value/between", ERROR, "{where} › 自评表{cell}（规则 {rule}）：填报 {value} 分不是本规则的计分档次，按 {score} 分计。请从 {allowed}中选择。")
_kind("invalid_value/count_text", ERROR, "{where} › 自评表{cell}（规则 {rule}）：缺项数填报“{value}”不是数值，按 0 分计。请填写缺少的项数（0 表示全部做到）。")
_kind("invalid_value/count_negative", ERROR, "{where} › 自评表{cell}（规则 {rule}）：缺项数 {value} 为负数，按 0 分计。请填写 0 或正整数。")
_kind("invalid_value/count_between", ERROR, "{where} › 自评表{cell}（规则 {rule}）：缺项数 {value} 不是整数，按缺 {missing} 项计，得 {score} 分。请填写整数。")
_kind("invalid_value/skip", ERROR, "{where} › 自评表{cell}（项目 {item}）：“不评分”栏填写为“{value}”，只能选“不适用”或留空；本项目按适用计分。")
_kind("cap_exceeded", ERROR, "{where} › 自评表{cell}（规则 {rule}）：填报 {value} 分，超过本规则最高 {max} 分，按 {max} 分计。请改为 {allowed}之一。")
_kind("cap_exceeded/item", ERROR, "{where} › 自评表{cell}（项目 {item}）：项目得分保存为 {value} 分，超过本项目上限 {max} 分。请勿改写项目得分公式，使用模板重新填写。")
_kind("total_mismatch", ERROR, "{where} › 自评表{cell}（自评分）：保存的自评分为 {claimed}，按评分规则重新计算为 {rescored}。请在 Excel 或 WPS 中打开后重新计算并保存，不要手工改写自评分。")
_kind("total_mismatch/unsaved", WARNING, "{where} › 自评表{cell}（自评分）：没有保存计算结果（可能由不计算公式的程序生成），按评分规则重新计算为 {rescored} 分。请在 Excel 或 WPS 中打开、确认公式计算后保存再提交。")
_kind("total_mismatch/not_number", ERROR, "{where} › 自评表{cell}（自评分）：保存的自评分为“{value}”，不是数值；按评分规则重新计算为 {rescored} 分。请勿改写自评分公式，使用模板重新填写。")

# 能耗数据 (item 1.1).
_kind("energy_data_invalid", ERROR, "{where} › 备案表{cell}（{label}）：{problem}，规则 {rules} 按 0 分计。请按能源资源消费统计台账填写大于 0 的数值。")
_kind("energy_data_invalid/derived", ERROR, "{where} › 备案表{cell}（{label}）：保存为 {saved}，按总量计算应为 {expected}，前后不一致。请勿改写计算公式，核对总量数据后重新保存。")
_kind("energy_data_invalid/carrier", ERROR, "{where} › 能耗折算{cell}（{label}）：{problem}，该年度综合能耗无法折算，规则 {rules} 按 0 分计。请填写大于或等于 0 的数值（不带单位），没有的能源品种留空。")
_kind("energy_data_invalid/conversion", ERROR, "{where} › {sheet}{cell}（{label}）：保存为 {saved} tce，按能耗折算表各能源用量折算应为 {expected} tce，前后不一致。请勿改写公式，在 Excel 或 WPS 中重新计算后保存。")
_kind("energy_data_invalid/typed_total", WARNING, "{where} › 备案表{cell}（{label}）：直接填写 {typed} tce，与能耗折算表按各能源用量折算的 {expected} tce 不一致，计分采用折算合计。请核对账单；以折算合计为准的，请清空直接填写的总量。")
_kind("energy_data_invalid/base_year", WARNING, "{where} › {sheet}{cell}（{label}）：填写为 {submitted}，但本单位 {year} 年度的申报（{previous}）中{plain}为 {reported}，同一年度的数据前后不一致。请核对两次填报的数据口径；确需更正的，请向评价小组说明原因。")
_kind("energy_data_invalid/magnitude", WARNING, "{where} › 备案表{cell}（{label}）：{value} {unit}，约为同类机关常见水平（{typical}）的 {ratio}，数量级可能有误（{hint}）。请核对计量单位。")
_kind("energy_data_invalid/jump", WARNING, "{where} › 备案表{cell}（{label}）：本年度 {now}，上年度 {before}，变化 {change}，幅度异常。请核对两个年度的数据口径是否一致。")
_kind("energy_mismatch", ERROR, "{where} › 自评表{cell}（规则 {rule}）：保存为 {claimed} 分，但按备案表数据{reason}，应得 {score} 分。请核对备案表能耗数据，并在 Excel 或 WPS 中重新计算后保存。")

# What the edition requires besides points (gates, ★). Outcomes rather than mistakes: warnings.
_kind("gate_failed", WARNING, "{where} › 自评表{cell}（必须完成项 {rule}）：“{label}”未达到。必须完成项未全部达到的，不论得分多少都不能通过。")
_kind("star_zero", WARNING, "{where} › 自评表{cell}（★ {what} {id}）：“{label}”得 0 分。★ 项得 0 分的，不论总分多少都不能通过。")
_kind("energy_data_invalid/benchmark", WARNING, "{where}（规则 {rule}）：{year}{category}的{label}同类平均值没有配置，本规则按 0 分计。请{lead}在 targets.toml 的 [benchmarks] 中配置并注明来源。")

# 佐证材料.
_kind("evidence_missing", ERROR, "{where} › 自评表{cell}（规则 {rule}）：得 {score} 分但未列出佐证材料，该项不计入有佐证得分。请把材料放入“佐证材料”文件夹，并在本单元格写明文件名。")
_kind("evidence_not_found", ERROR, "{where} › 自评表{cell}（规则 {rule}）：列出的佐证材料“{path}”在申报包中找不到。请核对文件名（含扩展名和文件夹），或把该文件放入“佐证材料”文件夹。")
_kind("evidence_unsafe", ERROR, "{where} › 自评表{cell}（规则 {rule}）：佐证材料路径“{path}”{reason}，不予读取。请只写“佐证材料”文件夹内的相对路径，如“制度/节水管理制度.pdf”。")
_kind("evidence_broken", ERROR, "{where} › 自评表{cell}（规则 {rule}）：佐证材料“{path}”{reason}。请重新导出或扫描该文件后放入申报包。")

# Across the batch and the roster.
_kind("duplicate_submission", WARNING, "{where}：与“{other}”是同一单位“{org}”的申报，请评价小组确认以哪一份为准，或请单位撤回其中一份。")
_kind("duplicate_submission/many", WARNING, "{where}：与“{other}”等另外 {count} 份申报是同一单位“{org}”的申报，请评价小组确认以哪一份为准，或请单位撤回多余的申报。")
_kind("not_on_roster", WARNING, "{where} › 备案表{cell}（单位名称）：“{org}”不在《{roster}》（附件4）中。请核对单位全称（如“市委办公室”）；确非名单内单位的，请与{lead}联系。")
_kind("not_on_roster/near", WARNING, "{where} › 备案表{cell}（单位名称）：“{org}”不在《{roster}》（附件4）中；名单中有“{suggestion}”，如是本单位，请把单位名称改为“{suggestion}”。确非名单内单位的，请与{lead}联系。")


class Finding(NamedTuple):
    """One problem found. A named tuple: cheap to make by the thousand and to send between processes."""
    code: str
    severity: str
    message: str
    rule: str | None = None
    item: str | None = None
    cell: str | None = None  # 'Sheet!A1' where known
    kind: str | None = None  # the table key, for tests and filters

    def as_contract(self) -> dict:
        """The CONTRACT's JSON shape."""
        return {"code": self.code, "severity": self.severity, "rule": self.rule, "item": self.item, "message": self.message}

    def as_dict(self) -> dict:
        return self._asdict()


def finding(kind: str, *, rule: str | None = None, item: str | None = None, cell: str | None = None, **fields) -> Finding:
    """Make a finding of a kind in the table, filling its message template."""
    spec = KINDS[kind]
    fields["cell"] = f" {cell[cell.find('!') + 1:]}" if cell else ""  # the cell as the sheet names it: F23
    fields["rule"] = rule
    fields["item"] = item
    # tuple.__new__: what Finding(...) does, less a Python-level call (a bare workbook makes some 40 a check)
    return tuple.__new__(Finding, (spec.code, spec.severity, spec.filled_by_percent % fields, rule, item, cell, kind))


def count_by_severity(findings) -> tuple[int, int]:
    errors = sum(1 for f in findings if f.severity == ERROR)
    return errors, len(findings) - errors
