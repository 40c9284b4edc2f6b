"""What the GX suites cannot do themselves: check-character algorithms and personal-data checks.

Every rule is evaluated by the GX suite of the submission type (ingest.quality.suites); this
module only supplies
- the GB 32100 / GB 11643 check-character algorithms (the custom expectation in
  ingest.quality.custom_expectations and the sample generator use them), and
- derived, non-personal columns for the personal-data rules: GX stores unexpected values
  in its results and Data Docs, so it never sees a phone or ID number, only whether it is
  `valid` or `malformed` (`pii_check_columns`).
"""

from __future__ import annotations

import re

from ingest.intake.contracts import Contract
from ingest.intake.records import Records

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_FORMAT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
PHONE_FORMAT = re.compile(r"^(?:(?:\+?86)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$")

VALID, MALFORMED = "valid", "malformed"


def credit_check_character(first17: str) -> str:
    """The GB 32100 check character of a code's first 17 characters (validation runs the column form,
    ingest.quality.custom_expectations.credit_checks_pass)."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_valid(code: str) -> bool:
    """GB 32100-2015: 18 characters, the last a weighted mod-31 check character."""
    return bool(CREDIT_FORMAT.match(code)) and credit_check_character(code[:17]) == code[17]


def credit_check_passes(value) -> bool:
    """The credit_code_check rule in Python: a value without the credit-code format passes (the
    format is its own rule); one with it must end in its check character. CREDIT_CHECK_SQL is the
    same rule in PostgreSQL."""
    text = str(value)
    return not CREDIT_FORMAT.match(text) or credit_code_valid(text)


# the credit_code_check rule as a PostgreSQL function, created with the warehouse schema: one
# expression (the planner inlines it), the weighted sum written out over the 17 positions
CREDIT_CHECK_FUNCTION = "intake.credit_check_passes"
_CREDIT_SUM_SQL = " + ".join(
    f"(strpos('{CREDIT_ALPHABET}', substr(code, {i}, 1)) - 1) * {w}" for i, w in enumerate(CREDIT_WEIGHTS, 1)
)
CREDIT_CHECK_SQL = f"""
create or replace function {CREDIT_CHECK_FUNCTION}(code text) returns boolean
language sql immutable parallel safe as $fn$
    select code !~ '^[0-9A-HJ-NPQRTUWXY]{{2}}[0-9]{{6}}[0-9A-HJ-NPQRTUWXY]{{10}}$'
        or substr('{CREDIT_ALPHABET}', (31 - ({_CREDIT_SUM_SQL}) % 31) % 31 + 1, 1) = substr(code, 18, 1)
$fn$;
"""


def id_number_valid(number: str) -> bool:
    """GB 11643-1999: 17 digits and a mod-11 check character (0-9 or X)."""
    number = number.upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    return ID_CHECK[sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS)) % 11] == number[17]


def phone_valid(phone: str) -> bool:
    return bool(PHONE_FORMAT.match(phone.replace(" ", "")))


# contract `pii` kind -> validity test; the suite checks `<column>_check` for these
PII_VALIDATORS = {"phone": phone_valid, "id_number": id_number_valid}


def check_column(column_name: str) -> str:
    """The derived column GX validates in place of a personal-data column."""
    return f"{column_name}_check"


def pii_check_columns(contract: Contract, records: Records) -> dict[str, list]:
    """`<column>_check` -> valid | malformed | None (empty) per record, for each checked PII column."""
    derived = {}
    for column in contract.columns:
        test = PII_VALIDATORS.get(column.pii or "")
        if test is None:
            continue
        derived[check_column(column.name)] = [
            None if value in (None, "") else VALID if test(str(value)) else MALFORMED
            for value in records.column(column.name)
        ]
    return derived
