"""Contract rules that need code: check characters, jurisdiction, cross-column rules.

Each check reads its severity and messages from the contract (`rules:`) or from the
column definition, so the contract stays the one place a rule is described.
"""
from __future__ import annotations

import datetime as dt
import re

from .contracts import Contract
from .findings import Finding
from .pii import mask_personal
from .reference import Department, districts

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_FORMAT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
PHONE_FORMAT = re.compile(r"^(?:(?:\+?86)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$")
CONCLUDED_STATUSES = {"adopted", "partially_adopted", "converted", "for_reference", "rejected"}


def credit_code_valid(code: str) -> bool:
    """GB 32100-2015: 18 characters, the last a weighted mod-31 check character."""
    if not CREDIT_FORMAT.match(code):
        return False
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(code[:17], CREDIT_WEIGHTS))
    return CREDIT_ALPHABET[(31 - total % 31) % 31] == code[17]


def credit_check_character(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def id_number_valid(number: str) -> bool:
    """GB 11643-1999: 17 digits and a mod-11 check character (0-9 or X)."""
    number = number.upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    return ID_CHECK[sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS)) % 11] == number[17]


def phone_valid(phone: str) -> bool:
    return bool(PHONE_FORMAT.match(phone.replace(" ", "")))


def _finding(contract: Contract, rule_name: str, record: dict, column: str, headers: dict) -> Finding:
    rule = contract.rule(rule_name)
    value = record.get(column)
    if value is not None and contract.column(column).pii:
        value = mask_personal(str(value))  # findings are stored: never a clear phone or ID
    return Finding(rule.name, rule.severity, rule.message_zh, rule.message_en, record["source_row"],
                   column, headers.get(column, contract.column(column).label_zh),
                   None if value is None else str(value))


def check_records(contract: Contract, records: list[dict], headers: dict, department: Department,
                  received_on: dt.date) -> list[Finding]:
    findings: list[Finding] = []
    known_districts = districts()
    for record in records:
        row = record["source_row"]
        district = record.get("district_code")
        if district in known_districts and not department.may_report_for(district):
            findings.append(Finding(
                "jurisdiction", "error",
                f"{department.name}无权报送{known_districts[district]}的记录",
                f"department {department.code} may not report for district {district}",
                row, "district_code", headers.get("district_code"), district))
        code = record.get("credit_code")
        if code and CREDIT_FORMAT.match(code) and not credit_code_valid(code):
            findings.append(Finding("credit_code_check", "error", "统一社会信用代码校验位错误",
                                    "credit_code fails the GB 32100 check character",
                                    row, "credit_code", headers.get("credit_code"), code))
        activity_date = record.get("activity_date")
        if activity_date and activity_date > received_on:
            findings.append(Finding("date_in_future", "error", "活动日期晚于报送日期",
                                    "activity_date is after the day the file was received",
                                    row, "activity_date", headers.get("activity_date"), str(activity_date)))
        findings += _contract_rules(contract, record, headers)
    return findings


def _contract_rules(contract: Contract, record: dict, headers: dict) -> list[Finding]:
    """The `rules:` of each contract, one predicate per rule name."""
    broken = []
    names = {rule.name for rule in contract.rules}
    get = record.get
    if "party_members_exceed_employees" in names and _gt(get("party_member_count"), get("employee_count")):
        broken.append(("party_members_exceed_employees", "party_member_count"))
    if "should_form_party_org" in names and (get("party_member_count") or 0) >= 3 \
            and get("party_org_form") == "none":
        broken.append(("should_form_party_org", "party_org_form"))
    if "service_hours_implausible" in names and get("service_hours") is not None \
            and get("service_hours") > 24 * max(get("volunteers") or 0, 1):
        broken.append(("service_hours_implausible", "service_hours"))
    if "concluded_date_required" in names and get("status") in CONCLUDED_STATUSES \
            and get("concluded_date") is None:
        broken.append(("concluded_date_required", "concluded_date"))
    if "concluded_before_received" in names and get("concluded_date") and get("received_date") \
            and get("concluded_date") < get("received_date"):
        broken.append(("concluded_before_received", "concluded_date"))
    if "phone_malformed" in names and get("submitter_phone") and not phone_valid(get("submitter_phone")):
        broken.append(("phone_malformed", "submitter_phone"))
    if "id_number_invalid" in names and get("submitter_id_number") \
            and not id_number_valid(get("submitter_id_number")):
        broken.append(("id_number_invalid", "submitter_id_number"))
    return [_finding(contract, rule, record, column, headers) for rule, column in broken]


def _gt(a, b) -> bool:
    return a is not None and b is not None and a > b
