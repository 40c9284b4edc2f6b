"""Submission contracts: one declarative YAML file per submission type (docs/design.md §6).

Parsing, the raw tables, the GX suites, feedback reports and the enum seed all read
these definitions; nothing else spells out a column list.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CONTRACTS_DIR = Path(__file__).parent

# Contract type -> PostgreSQL type of the raw column.
SQL_TYPES = {
    "month": "date",
    "date": "date",
    "text": "text",
    "enum": "text",
    "district": "text",
    "credit_code": "text",
    "integer": "integer",
    "decimal": "numeric",
    "boolean": "boolean",
}


def header_key(text: str) -> str:
    """Normalise a header for matching: NFKC, no whitespace, no trailing unit in brackets."""
    key = unicodedata.normalize("NFKC", str(text))
    key = "".join(key.split())
    while key.endswith(")") and "(" in key:
        key = key[: key.rindex("(")]
    return key.lower()


@dataclass(frozen=True)
class Column:
    name: str
    label_zh: str
    type: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    unique: bool = False
    default: object = None
    min: float | None = None
    values: dict = field(default_factory=dict)  # code -> accepted Chinese spellings
    labels: dict = field(default_factory=dict)  # code -> Chinese label
    groups: dict = field(default_factory=dict)  # group name -> codes (e.g. status: concluded)
    empty_means: str | None = None
    approximate_allowed: bool = False
    period_from_file_name: bool = False
    not_after_received: bool = False
    pii: str | None = None  # name | phone | id_number
    mask_pii: bool = False

    @property
    def header_keys(self) -> set[str]:
        return {header_key(a) for a in (self.name, self.label_zh, *self.aliases)}

    def raw_columns(self) -> list[tuple[str, str]]:
        """(column, sql type) pairs this contract column becomes in raw: PII only as hashes."""
        if self.pii == "phone":
            return [(f"{self.name}_hash", "text"), (f"{self.name}_masked", "text")]
        if self.pii:
            return [(f"{self.name}_hash", "text")]
        return [(self.name, SQL_TYPES[self.type])]


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    columns: tuple[str, ...]
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class Contract:
    submission_type: str
    label_zh: str
    label_en: str
    kind: str
    record_key: tuple[str, ...]
    period_column: str
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...]
    mail_keywords: tuple[str, ...] = ()  # words in a mail's subject or attachment name that name this type

    @property
    def raw_table(self) -> str:
        return f"raw.{self.submission_type}"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def rule(self, name: str) -> Rule:
        return next(r for r in self.rules if r.name == name)

    def group(self, column: str, name: str) -> tuple[str, ...]:
        """The codes of a named group of an enum column, e.g. ("status", "converted")."""
        return self.column(column).groups[name]

    @property
    def status_groups(self) -> dict[str, tuple[str, ...]]:
        """Groups of the status column (suggestion: concluded, converted, converted_to_policy)."""
        return next((c.groups for c in self.columns if c.name == "status"), {})

    @property
    def has_approximate(self) -> bool:
        return any(c.approximate_allowed for c in self.columns)

    def raw_columns(self) -> list[tuple[str, str]]:
        """Every column of the raw table, in load order."""
        cols = [("submission_id", "bigint not null"), ("source_row", "integer not null")]
        for column in self.columns:
            cols += column.raw_columns()
        if self.has_approximate:
            cols.append(("is_approximate", "boolean not null default false"))
        cols.append(("extra", "jsonb"))
        return cols


def _load(path: Path) -> Contract:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    # spellings are text even where YAML reads a number (a hotline written 12345)
    columns = tuple(
        Column(
            **{
                **c,
                "aliases": tuple(map(str, c.get("aliases", ()))),
                "values": {code: [str(s) for s in spellings] for code, spellings in c.get("values", {}).items()},
                "groups": {name: tuple(codes) for name, codes in c.get("groups", {}).items()},
            }
        )
        for c in spec["columns"]
    )
    for column in columns:
        for name, codes in column.groups.items():
            unknown = set(codes) - set(column.values)
            if unknown:
                raise ValueError(f"{path.name}: group {column.name}.{name} names unknown codes {sorted(unknown)}")
    rules = tuple(Rule(**{**r, "columns": tuple(r["columns"])}) for r in spec.get("rules", ()))
    return Contract(
        submission_type=spec["submission_type"],
        label_zh=spec["label_zh"],
        label_en=spec["label_en"],
        kind=spec["kind"],
        record_key=tuple(spec["record_key"]),
        period_column=spec["period_column"],
        columns=columns,
        rules=rules,
        mail_keywords=tuple(map(str, spec.get("mail_keywords", ()))),
    )


@functools.cache
def all_contracts() -> dict[str, Contract]:
    return {c.submission_type: c for c in map(_load, sorted(CONTRACTS_DIR.glob("*.yml")))}


def contract_version(submission_type: str) -> str | None:
    """The version of a contract as it judges files: the start of its file's sha256; None for no contract."""
    path = CONTRACTS_DIR / f"{submission_type}.yml"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else None


def get_contract(submission_type: str) -> Contract:
    return all_contracts()[submission_type]
