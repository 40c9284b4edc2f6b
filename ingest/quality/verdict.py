"""What a validation came to, as the pages and the index say it: the one definition of its labels.

A file passes when no error-severity rule failed: failed warning rules do not stop it loading, so
a file loaded with warnings reads "通过（1 条警告） passed with 1 warning", never "failed". Once the
register holds a final status, that status decides (a quarantined file may have failed on reading,
before any rule ran; a loaded or superseded one passed), so a page and the index never contradict
audit.submission.
"""

from __future__ import annotations

from dataclasses import dataclass

FAILED_STATUSES = frozenset({"quarantined"})
PASSED_STATUSES = frozenset({"loaded", "superseded"})


@dataclass(frozen=True)
class Verdict:
    passed: bool
    failed_errors: int = 0
    failed_warnings: int = 0

    @property
    def label(self) -> str:
        if not self.passed:
            failed = self.failed_errors + self.failed_warnings
            return f"未通过 failed ({failed})" if failed else "未通过 failed"
        if self.failed_warnings:
            n = self.failed_warnings
            return f"通过（{n} 条警告） passed with {n} warning{'' if n == 1 else 's'}"
        return "通过 passed"

    @property
    def css_class(self) -> str:
        if not self.passed:
            return "swdw-failed"
        return "swdw-warned" if self.failed_warnings else "swdw-passed"

    @property
    def mark(self) -> str:
        return "✓" if self.passed else "✗"


def verdict(failed_errors: int, failed_warnings: int, status: str | None = None) -> Verdict:
    """The verdict of a validation with these failed rules, for a file in this register status."""
    if status in FAILED_STATUSES:
        passed = False
    elif status in PASSED_STATUSES:
        passed = True
    else:  # still validating: the rules decide
        passed = failed_errors == 0
    return Verdict(passed, failed_errors, failed_warnings)


def failed_rules(result) -> tuple[int, int]:
    """(failed error rules, failed warning rules) of a GX suite validation result."""
    errors = warnings = 0
    for item in result.results:
        if not item.success:
            if ((item.expectation_config.meta or {}).get("severity") or "error") == "warning":
                warnings += 1
            else:
                errors += 1
    return errors, warnings


def verdict_of_entry(entry: dict) -> Verdict:
    """The verdict of an index entry (entries written before severities were counted hold only totals)."""
    if "failed_errors" in entry:
        errors, warnings = entry["failed_errors"], entry.get("failed_warnings", 0)
    else:
        errors, warnings = (0 if entry.get("success") else entry.get("failed_expectations", 0)), 0
    return verdict(errors, warnings, entry.get("status"))
