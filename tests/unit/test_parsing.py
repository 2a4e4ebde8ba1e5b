"""The one strict parser for request numbers and names: ASCII only, bounded, 400 naming the parameter."""
import re

import pytest

from gis_tracker import parsing
from gis_tracker.api.params import parse_bbox, parse_feature_id, parse_offset
from gis_tracker.errors import BadParameter

NOT_ASCII_DIGITS = ["²", "١", "٣٤", "１２", "۱", "߁", "𝟏", "Ⅻ", "1\n", " 1", "1 ", "+1", "0x1f", "1_000", "1e3", "1.0", ""]


@pytest.mark.parametrize("raw", [r for r in NOT_ASCII_DIGITS if r])
def test_integers_are_ascii_digits_only(raw):
    with pytest.raises(BadParameter) as err:
        parsing.integer(raw, "page")
    assert err.value.details == {"parameter": "page"} and err.value.status == 400


@pytest.mark.parametrize("raw, minimum, maximum", [("9223372036854775808", 0, parsing.INT64_MAX), ("9" * 5000, 0, 10),
                                                   ("-1", 0, 10), ("11", 0, 10), ("-11", -10, 10)])
def test_integers_are_bounded_before_anything_else_sees_them(raw, minimum, maximum):
    with pytest.raises(BadParameter):
        parsing.integer(raw, "n", minimum=minimum, maximum=maximum)


def test_integers_within_range():
    assert parsing.integer("9223372036854775807", "offset") == parsing.INT64_MAX
    assert parsing.integer("-10", "n", minimum=-10, maximum=10) == -10
    assert parsing.integer("007", "n") == 7
    assert parsing.integer(None, "n", default=3) == 3 and parsing.integer("", "n", default=None) is None
    assert parsing.integer(12, "n") == 12  # a JSON number
    with pytest.raises(BadParameter):
        parsing.integer(True, "n")  # a JSON boolean is not a number
    with pytest.raises(BadParameter) as err:
        parsing.integer(None, "population")
    assert err.value.details["parameter"] == "population"


@pytest.mark.parametrize("raw", ["１.５", "١.٥", "nan", "inf", "-Infinity", "1e400", "1,5", "0x10", "1.5\n", "٣"])
def test_numbers_are_ascii_and_finite(raw):
    with pytest.raises(BadParameter):
        parsing.number(raw, "distance_m")


def test_numbers_within_range():
    assert parsing.number("-12.5", "x") == -12.5 and parsing.number("1e3", "x") == 1000.0
    assert parsing.number(".5", "x") == 0.5 and parsing.number(3, "x") == 3.0
    with pytest.raises(BadParameter):
        parsing.number("5", "x", maximum=4)


def test_identifiers_match_whole():
    pattern = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
    assert parsing.identifier("roads_2024", "name", pattern) == "roads_2024"
    for raw in ("roads\n", "Roads", "roads\x00", "ｒｏａｄｓ", None, 5):
        with pytest.raises(BadParameter):
            parsing.identifier(raw, "name", pattern)


@pytest.mark.parametrize("raw", ["²", "١", "１", "0", "-1", "2147483648", "9" * 30, "1\n", "1.0", ""])
def test_feature_ids_from_urls(raw):
    assert parse_feature_id(raw) is None  # → 404


def test_feature_id_and_offset_limits():
    assert parse_feature_id("2147483647") == 2147483647
    assert parse_offset("9223372036854775807") == parsing.INT64_MAX
    with pytest.raises(BadParameter) as err:
        parse_offset("9223372036854775808")
    assert err.value.details["parameter"] == "offset"


@pytest.mark.parametrize("raw", ["١١٣,٢٧,١١٣.١,٢٧.١", "１１３,27,113.1,27.1", "113,27,113.1,27.1\n"])
def test_bbox_numbers_are_ascii(raw):
    with pytest.raises(BadParameter):
        parse_bbox(raw)
