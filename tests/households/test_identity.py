"""NIK / No. KK structure and the recovery (or refusal) of numbers that went through Excel."""

from datetime import date
from decimal import Decimal

import pytest

from server.households.identity import (
    check_kk,
    check_nik,
    clean_number,
    is_valid_nik,
    nik_birth_date,
    nik_is_female,
)


def codes(checked):
    return [problem.code for problem in checked.problems]


def test_valid_male_nik_and_its_birth_date():
    checked = check_nik("6472011705800001")
    assert checked.ok and checked.value == "6472011705800001"
    assert nik_birth_date("6472011705800001") == date(1980, 5, 17)
    assert not nik_is_female("6472011705800001")


def test_women_have_forty_added_to_the_day():
    assert check_nik("6472015705800002").ok  # 57 = 17 + 40
    assert nik_birth_date("6472015705800002") == date(1980, 5, 17)
    assert nik_is_female("6472015705800002")
    assert check_nik("6472017105010003").ok  # 31 + 40, 2001


@pytest.mark.parametrize(
    ("nik", "code"),
    [
        ("6472013205800001", "nik.birth_date"),  # day 32
        ("6472017205800001", "nik.birth_date"),  # day 72 (women cap at 71)
        ("6472018105800001", "nik.birth_date"),  # day 81 is not 41 + 40
        ("6472011713800001", "nik.birth_date"),  # month 13
        ("6472013002800001", "nik.birth_date"),  # 30 February
        ("6472011705800000", "nik.serial"),
        ("9972011705800001", "nik.province"),
        ("6499011705800001", "nik.regency"),
        ("1100011705800001", "nik.regency"),
        ("647201170580001", "nik.format"),
        ("64720117058000011", "nik.format"),
    ],
)
def test_structural_problems_are_named(nik, code):
    checked = check_nik(nik)
    assert code in codes(checked)
    assert checked.value is None
    assert all("/" in reason for reason in checked.reasons)  # bilingual


def test_district_differing_from_address_is_not_a_problem():
    # Registered first in Balikpapan (64.71) or Jakarta, living in Samarinda: still a good NIK.
    assert check_nik("6471051705800001").ok
    assert check_nik("3174051705800001").ok
    assert check_nik("6404021705800001").ok  # Bulungan before Kalimantan Utara split off
    assert is_valid_nik("6472991705800001")


def test_leap_day_resolves_century():
    assert check_nik("3171012902001234").ok  # 29 Feb 2000 (1900 was no leap year)


def test_excel_float_text_is_recovered():
    assert clean_number("6472011705800001.0").value == "6472011705800001"
    assert check_nik("6472011705800001.00").value == "6472011705800001"
    assert check_nik("'6472011705800001").value == "6472011705800001"
    assert check_nik(" 6472 0117 0580 0001 ").value == "6472011705800001"


def test_scientific_notation_is_refused_with_a_clear_reason():
    checked = check_nik("6.47201E+15")
    assert checked.value is None
    assert codes(checked) == ["nik.scientific"]
    assert "Teks" in checked.reasons[0] and "Text" in checked.reasons[0]


def test_numeric_cells_are_taken_only_when_no_digit_can_be_lost():
    assert check_nik(6472011705800001).value == "6472011705800001"
    assert check_nik(6472011705800001.0).value == "6472011705800001"
    assert check_nik(Decimal("6472011705800001")).value == "6472011705800001"
    # Excel keeps 15 significant digits: 6472011705800010 typed in may really be …0019.
    assert codes(check_nik(6472011705800010)) == ["nik.excel_rounded"]
    assert codes(check_nik(6.47201e15)) == ["nik.excel_rounded"]
    # Above 2**53 a float cannot hold every digit.
    assert codes(check_nik("9471011705800001.0")) == ["nik.excel_rounded"]
    assert codes(check_nik(1.5)) == ["nik.format"]


def test_blank_is_absent_not_invalid():
    assert check_nik(None).value is None and check_nik(None).ok
    assert check_nik("  ").ok


def test_kk_structure():
    assert check_kk("6472012001200001").ok
    assert codes(check_kk("6472013201200001")) == ["kk.issue_date"]
    assert codes(check_kk("6472012001200000")) == ["kk.serial"]
    assert codes(check_kk("8872012001200001")) == ["kk.province"]
    assert codes(check_kk("6.47201E+15")) == ["kk.scientific"]
    # An issue date has no women's +40.
    assert codes(check_kk("6472015701200001")) == ["kk.issue_date"]
