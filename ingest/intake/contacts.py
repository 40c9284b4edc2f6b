"""Which mail addresses speak for which department: the department contacts file, edited by the city.

One row per address: ``address, department_code, contact_name, copy_receipt``. A message is
landed only when its sender is listed; replies go to the listed address (never to whatever a
From or Reply-To header says), with a copy to the department's contacts marked ``copy_receipt``.
Names and addresses are personal data: this file is read by the ingest and never reaches the
warehouse. The path is ``SWDW_DEPARTMENT_CONTACTS``, else the example shipped beside this module
(addresses at example.gov.cn, which match no real sender).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

from ingest.config import EXAMPLE_DEPARTMENT_CONTACTS, settings
from ingest.intake.reference import departments

COLUMNS = ("address", "department_code", "contact_name", "copy_receipt")
TRUE, FALSE = ("true", "1", "yes", "是"), ("false", "0", "no", "否", "")


@dataclass(frozen=True)
class Contact:
    address: str  # lower case, as compared
    department_code: str
    contact_name: str
    copy_receipt: bool


def address_key(header_value: str) -> str:
    """The bare address of a From-style header value, lower case ('' when there is none)."""
    return parseaddr(header_value or "")[1].strip().lower()


def read_contacts(path: Path) -> dict[str, Contact]:
    """address -> Contact; a malformed row (unknown department, a duplicate address) refuses the file."""
    known = departments()
    contacts: dict[str, Contact] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: the header must be {','.join(COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            address = address_key(row["address"])
            copy = (row["copy_receipt"] or "").strip().lower()
            if "@" not in address:
                raise ValueError(f"{path}:{line}: not a mail address: {row['address']!r}")
            if row["department_code"] not in known:
                raise ValueError(f"{path}:{line}: unknown department_code {row['department_code']!r}")
            if address in contacts:
                raise ValueError(f"{path}:{line}: {address} is listed twice")
            if copy not in TRUE + FALSE:
                raise ValueError(f"{path}:{line}: copy_receipt must be true or false, not {row['copy_receipt']!r}")
            contacts[address] = Contact(address, row["department_code"], row["contact_name"].strip(), copy in TRUE)
    return contacts


def city_contacts_configured() -> bool:
    """Whether the city named its own contacts file: the example's addresses belong to no one, so
    nothing is ever sent to them."""
    return settings().department_contacts.resolve() != EXAMPLE_DEPARTMENT_CONTACTS.resolve()


def department_contacts() -> dict[str, Contact]:
    """The contacts in force: read on every call, so an edit takes effect at the next poll."""
    return read_contacts(settings().department_contacts)


def copies_for(contacts: dict[str, Contact], contact: Contact) -> list[Contact]:
    """The other contacts of the same department who asked for a copy of what is sent to it."""
    return [
        c
        for c in contacts.values()
        if c.department_code == contact.department_code and c.copy_receipt and c.address != contact.address
    ]
