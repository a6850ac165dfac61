"""The unified social credit code (GB 32100-2015): what a well-formed code is and how a bad one is named."""

import pytest
from django.core.exceptions import ValidationError

from enterprises.models import validate_uscc
from enterprises.uscc import ALPHABET, check_character, normalise, uscc_problem

VALID = "91350100M000100Y43"  # the standard's worked example


def test_the_standards_worked_example_is_well_formed():
    assert uscc_problem(VALID) is None


def test_the_check_character_of_the_worked_example_is_its_last_character():
    assert check_character(VALID[:17]) == "3"


def test_exactly_one_check_character_completes_the_first_seventeen():
    completions = [ch for ch in ALPHABET if uscc_problem(VALID[:17] + ch) is None]
    assert completions == ["3"]


@pytest.mark.parametrize("last", [ch for ch in ALPHABET if ch != "3"])
def test_any_other_last_character_is_a_typing_error(last):
    assert uscc_problem(VALID[:17] + last) == "check"


@pytest.mark.parametrize("code", [VALID[:17], VALID + "0", "", "9"])
def test_a_code_not_eighteen_characters_long_is_refused_for_its_length(code):
    assert uscc_problem(code) == "length"


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_the_five_letters_the_standard_leaves_out_are_refused(letter):
    code = VALID[:8] + letter + VALID[9:]  # the 9th character is a letter of the organisation code
    assert uscc_problem(code) == "character"


@pytest.mark.parametrize("char", ["a", "-", "中", " "])
def test_lower_case_punctuation_and_chinese_characters_are_refused_before_normalising(char):
    code = VALID[:10] + char + VALID[11:]
    assert uscc_problem(code) == "character"


def test_characters_three_to_eight_must_be_the_region_digits():
    code = "91A50100M000100Y43"
    assert uscc_problem(code) == "region"


def test_normalising_drops_spaces_and_upper_cases_letters():
    assert normalise(" 9135 0100m000100y43 ") == VALID


def test_a_normalised_code_typed_in_lower_case_with_spaces_is_accepted_by_the_model_validator():
    validate_uscc(" 9135 0100m000100y43 ")  # no exception


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (VALID[:17] + "4", "check"),
        (VALID[:17], "length"),
        (VALID[:8] + "I" + VALID[9:], "character"),
        ("91A50100M000100Y43", "region"),
    ],
)
def test_the_model_validator_names_the_kind_of_problem(code, kind):
    with pytest.raises(ValidationError) as info:
        validate_uscc(code)
    error = info.value.error_list[0]
    assert error.code == f"uscc_{kind}"
    assert str(error.message)  # a sentence for the user, not an empty string


def test_the_length_message_says_how_many_characters_the_code_has():
    with pytest.raises(ValidationError) as info:
        validate_uscc(VALID[:17])
    assert "17" in info.value.messages[0]
