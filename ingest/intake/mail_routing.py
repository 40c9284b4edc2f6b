"""Which submission type a mailed report is: told by keywords each contract declares (``mail_keywords``).

A department mails its report with a subject or an attachment name such as 2024年12月相山区两个覆盖台账.xlsx;
the attachment's name speaks for that file, the subject for every attachment whose name says nothing.
"""

from __future__ import annotations

import unicodedata

from ingest.intake.contracts import all_contracts


def _key(text: str) -> str:
    # full-width letters and stray spaces in a clerk's subject still match
    return "".join(unicodedata.normalize("NFKC", text or "").split()).lower()


def types_named_in(text: str) -> set[str]:
    """The submission types whose keywords occur in the text."""
    key = _key(text)
    return {
        contract.submission_type
        for contract in all_contracts().values()
        if any(_key(word) in key for word in contract.mail_keywords)
    }


def type_from_keywords(subject: str, attachment_name: str) -> str | None:
    """The one submission type the attachment's name, else the subject, names; None when none or several do."""
    named = types_named_in(attachment_name) or types_named_in(subject)
    return next(iter(named)) if len(named) == 1 else None
