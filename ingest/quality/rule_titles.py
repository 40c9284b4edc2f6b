"""The Chinese name of every rule of the suites, as validation pages show it.

A column-constraint rule is named here, in the voice of a contract rule's `message_zh` (what
breaks the rule), which names a contract rule. Suite generation, validation and the pages read
the names from this module only, so pages never need the validation code.
"""

from __future__ import annotations

from ingest.intake.contracts import Contract

RULE_TITLE_ZH = {
    "required": "必填项为空",
    "allowed_values": "取值不在允许范围内",
    "minimum": "数值为负数",
    "unique": "在文件中重复",
    "format": "格式不正确",
    "credit_code_check": "统一社会信用代码校验位错误",
    "jurisdiction": "记录的区县不在本部门辖区内",
    "date_in_future": "日期晚于报送日期",
}


def rule_title_zh(contract: Contract, rule: str) -> str:
    """The Chinese name of a rule of this contract's suite (StopIteration for an unknown rule)."""
    if rule in RULE_TITLE_ZH:
        return RULE_TITLE_ZH[rule]
    return contract.rule(rule).message_zh


def shown_title(contract: Contract, rule: str) -> str:
    """The Chinese name where there is one, else the rule's code name (a page never fails on a name)."""
    if rule in RULE_TITLE_ZH or any(r.name == rule for r in contract.rules):
        return rule_title_zh(contract, rule)
    return rule
