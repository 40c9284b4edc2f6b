"""A mailed report's type is told by the keywords its contract declares."""

from __future__ import annotations

from ingest.intake.contracts import all_contracts
from ingest.intake.mail_routing import type_from_keywords
from ingest.samples.lifecycle import sample_plan


def test_every_sample_file_name_tells_its_own_type():
    """The names departments really give their files (the sample plan's) route to the folder they belong in."""
    misrouted = {
        f.name: (f.submission_type, type_from_keywords("", f.name))
        for f in sample_plan()
        if type_from_keywords("", f.name) != f.submission_type
    }
    assert not misrouted


def test_every_contract_declares_keywords_that_name_it_alone():
    for contract in all_contracts().values():
        assert contract.mail_keywords, contract.submission_type
        for word in contract.mail_keywords:
            assert type_from_keywords(word, "") == contract.submission_type, word


def test_the_attachment_name_speaks_before_the_subject():
    assert type_from_keywords("12月两个覆盖台账", "人民建议征集台账.xlsx") == "suggestion"
    assert type_from_keywords("12月两个覆盖台账", "附件1.xlsx") == "org_coverage"
    assert type_from_keywords("１２月　两个 覆盖台账", "") == "org_coverage"  # full-width, spaced


def test_no_type_or_several_types_tell_nothing():
    assert type_from_keywords("报表", "附件1.xlsx") is None
    assert type_from_keywords("", "两个覆盖台账和服务活动台账.xlsx") is None
    assert type_from_keywords("两个覆盖台账、人民建议征集", "附件.xlsx") is None
