"""A finding: one rule broken by one cell, row or file, in the clerk's terms and the engineer's."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the whole file is quarantined
    WARNING = "warning"  # loaded and recorded


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # a Severity
    message_zh: str
    message_en: str
    source_row: int | None = None  # 1-based spreadsheet row; None for whole-file findings
    column: str | None = None  # canonical column name
    header: str | None = None  # the header as submitted
    value: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR


def count(findings: list[Finding], severity: str) -> int:
    return sum(1 for f in findings if f.severity == severity)


def internal_error(stage: str, exc: BaseException) -> Finding:
    """A defect or an unexpected condition met while processing a file, named so an engineer can find it."""
    detail = " ".join(str(exc).split())[:300] or repr(exc)[:300]
    name = type(exc).__name__
    return Finding(
        "internal_error",
        Severity.ERROR,
        f"处理文件时发生系统内部错误（{stage}阶段，{name}：{detail}），文件已隔离，修复后可重新处理",
        f"internal error during {stage}: {name}: {detail}; the file is quarantined and can be reprocessed after a fix",
    )
