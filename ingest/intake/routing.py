"""Which folder a file landed in decides who sent it and what it is: refuse what the folders do not allow.

Only known department folders, known submission types, and types the department may submit
(docs/design.md §4, §5). Jurisdiction over districts is a row-level rule of the GX suites (ingest.quality.validation, rule
`jurisdiction`: a record whose district lies outside the department's is an error).
"""

from __future__ import annotations

from ingest.intake.contracts import all_contracts
from ingest.intake.errors import SubmissionError
from ingest.intake.landing import LandingFile
from ingest.intake.reference import departments


def check_routing(landing_file: LandingFile) -> None:
    """Raise SubmissionError when the folders do not name a department allowed to send this type."""
    department = departments().get(landing_file.department_code)
    if department is None:
        raise SubmissionError(
            "unknown_department",
            f"未知的报送单位目录“{landing_file.department_code}”",
            f"unknown department folder {landing_file.department_code!r}",
        )
    if landing_file.submission_type not in all_contracts():
        raise SubmissionError(
            "unknown_submission_type",
            f"未知的报表类型目录“{landing_file.submission_type}”",
            f"unknown submission type folder {landing_file.submission_type!r}",
        )
    if landing_file.submission_type not in department.submission_types:
        raise SubmissionError(
            "type_not_allowed",
            f"{department.name}不报送此类报表",
            f"{department.code} does not submit {landing_file.submission_type}",
        )
