import pytest

from ingest.intake.pii import keyed_hash, mask_phone, mask_text
from ingest.quality.checks import credit_check_character, credit_code_valid, id_number_valid, phone_valid


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
