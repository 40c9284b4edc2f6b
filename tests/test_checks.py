import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.intake.pii import keyed_hash, mask_phone, mask_text
from ingest.quality.checks import (
    CREDIT_ALPHABET,
    credit_check_character,
    credit_check_passes,
    credit_code_valid,
    id_number_valid,
    phone_valid,
)
from ingest.quality.custom_expectations import credit_checks_pass


def test_credit_code_check_character():
    body = "91340600MA2N0ABCD"
    code = body + credit_check_character(body)
    assert credit_code_valid(code)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert not credit_code_valid(wrong)
    assert not credit_code_valid("91340600MA2N0ABCI" + "0")  # I is not in the alphabet


def test_real_published_credit_code():
    assert credit_code_valid("91110000100006485K")  # a published national enterprise code


def test_id_number_check_character():
    assert id_number_valid("11010519491231002X")
    assert not id_number_valid("110105194912310021")


@pytest.mark.parametrize(
    "phone,ok", [("13812345678", True), ("0561-3051234", True), ("1381234567", False), ("12345", False)]
)
def test_phone_formats(phone, ok):
    assert phone_valid(phone) is ok


def test_masks_and_hashes_hide_personal_data():
    assert mask_phone("13812345678") == "138****5678"
    text = mask_text("电话13812345678，身份证11010519491231002X")
    assert "13812345678" not in text and "11010519491231002X" not in text
    assert keyed_hash("张三", b"k1") != keyed_hash("张三", b"k2")
    assert keyed_hash("张三", b"k1") == keyed_hash(" 张三 ", b"k1")


CREDIT_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZ a\n９"


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(
        st.one_of(
            # codes with the format, their check character right or wrong
            st.text(alphabet=CREDIT_ALPHABET, min_size=17, max_size=17).flatmap(
                lambda body: st.sampled_from([body + credit_check_character(body), body + "0", body + "Y"])
            ),
            st.text(alphabet=CREDIT_CHARACTERS, max_size=20),
            st.builds(
                lambda body: body + credit_check_character(body[:17]) + "\n",
                st.text(CREDIT_ALPHABET, min_size=17, max_size=17),
            ),
            st.integers(),
        ),
        max_size=40,
    )
)
def test_the_column_form_of_the_check_character_rule_judges_as_the_rule_does(values):
    """The pandas expectation checks a whole column in numpy: every value as credit_check_passes judges it."""
    column = pd.Series(values, dtype=object, index=range(100, 100 + len(values)))
    judged = credit_checks_pass(column)
    assert list(judged.index) == list(column.index)
    assert judged.tolist() == [credit_check_passes(v) for v in values]
