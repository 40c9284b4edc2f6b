"""The department contacts: the city's file through SWDW_DEPARTMENT_CONTACTS, kept out of the warehouse."""

from __future__ import annotations

import csv

import pytest

from ingest.config import SEEDS_DIR, settings
from ingest.intake.contacts import copies_for, department_contacts, read_contacts

HEADER = "address,department_code,contact_name,copy_receipt\n"


def test_the_citys_file_replaces_the_example(tmp_path, monkeypatch):
    city = tmp_path / "contacts.csv"
    city.write_text(HEADER + "Clerk@Duji.Example.gov.cn,duji,张三,false\nhead@duji.example.gov.cn,duji,李四,是\n")
    monkeypatch.setenv("SWDW_DEPARTMENT_CONTACTS", str(city))
    contacts = department_contacts()
    assert set(contacts) == {"clerk@duji.example.gov.cn", "head@duji.example.gov.cn"}  # compared in lower case
    clerk = contacts["clerk@duji.example.gov.cn"]
    assert clerk.department_code == "duji" and not clerk.copy_receipt
    assert [c.address for c in copies_for(contacts, clerk)] == ["head@duji.example.gov.cn"]


@pytest.mark.parametrize(
    "row, problem",
    [
        ("a@x.example.gov.cn,nowhere,张三,false", "unknown department_code"),
        ("not-an-address,duji,张三,false", "not a mail address"),
        ("a@x.example.gov.cn,duji,张三,maybe", "copy_receipt"),
        ("a@x.example.gov.cn,duji,张三,false\nA@x.example.gov.cn,duji,李四,false", "listed twice"),
    ],
)
def test_a_malformed_row_is_refused_naming_its_line(tmp_path, row, problem):
    path = tmp_path / "contacts.csv"
    path.write_text(HEADER + row + "\n")
    with pytest.raises(ValueError, match=problem):
        read_contacts(path)


def test_contacts_are_no_dbt_seed(monkeypatch):
    """Seeds are loaded into the warehouse; names and addresses must not be."""
    monkeypatch.delenv("SWDW_DEPARTMENT_CONTACTS", raising=False)
    assert not settings().department_contacts.is_relative_to(SEEDS_DIR)
    for seed in SEEDS_DIR.glob("*.csv"):
        with open(seed, encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert "address" not in header and "contact_name" not in header, seed.name
    assert all(address.endswith("@example.gov.cn") for address in department_contacts())
