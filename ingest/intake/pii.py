"""Personal data: keyed hashes and masked forms (docs/design.md §6 suggestion).

A clear name, phone or ID number never leaves this module for the database.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from ingest.config import pii_key

# inside free text: mainland mobiles, landlines with an area code, and 18-character ID numbers (GB 11643;
# the 15-digit numbers of before 1999 are not recognised: too many other numbers look like them)
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_LANDLINE_IN_TEXT = re.compile(r"(?<!\d)(0\d{2,3}-?)(\d{3,4})(\d{4})(?!\d)")


def keyed_hash(value: str | None, key: bytes | None = None) -> str | None:
    if value is None or value == "":
        return None
    normalised = re.sub(r"\s+", "", value).upper()
    return hmac.new(key or pii_key(), normalised.encode(), hashlib.sha256).hexdigest()


def key_fingerprint(key: bytes | None = None) -> str:
    """A short public name for the key: tells two keys apart without revealing either."""
    return hmac.new(key or pii_key(), b"swdw pii key fingerprint", hashlib.sha256).hexdigest()[:16]


def mask_phone(phone: str | None) -> str | None:
    """138****5678: keeps the first three and last four digits."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_personal(value: str) -> str:
    """A masked form for anything personal shown in findings and reports."""
    if len(value) <= 2:
        return value[:1] + "*"
    return (
        value[:3]
        + "*" * (len(value) - 7 if len(value) > 7 else len(value) - 3)
        + (value[-4:] if len(value) > 7 else "")
    )


def mask_text(text: str | None) -> str | None:
    """Phone and ID numbers inside free text replaced by their masked forms."""
    if not text:
        return text
    text = _ID_IN_TEXT.sub(lambda m: m.group(1) + "*" * 8 + m.group(3)[-4:], text)
    text = _MOBILE_IN_TEXT.sub(lambda m: m.group(1) + "****" + m.group(3), text)
    return _LANDLINE_IN_TEXT.sub(lambda m: m.group(1) + "****" + m.group(3), text)


def protect_record(record: dict, contract) -> dict:
    """The record as it may be stored: PII columns replaced by hashes and masks."""
    protected = dict(record)
    key = pii_key()
    for column in contract.columns:
        if column.pii:
            value = protected.pop(column.name, None)
            protected[f"{column.name}_hash"] = keyed_hash(value, key)
            if column.pii == "phone":
                protected[f"{column.name}_masked"] = mask_phone(value)
        elif column.mask_pii:
            protected[column.name] = mask_text(protected.get(column.name))
    return protected
