"""Query parameters: bad values are refused with the parameter named."""
import pytest

from gis_tracker.api.params import parse_bbox, parse_feature_id, parse_limit, parse_offset
from gis_tracker.errors import BadParameter


@pytest.mark.parametrize("raw", ["1,2,3", "a,b,c,d", "113,27,112,28", "nan,1,2,3", "1,2,3,4,5", "0,95,1,96"])
def test_bad_bbox_names_the_parameter(raw):
    with pytest.raises(BadParameter) as err:
        parse_bbox(raw)
    assert err.value.details["parameter"] == "bbox"
    assert err.value.status == 400


def test_good_bbox():
    assert parse_bbox("113.0,27.8,113.3,28.1") == (113.0, 27.8, 113.3, 28.1)


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "1.5"])
def test_bad_limit(raw):
    with pytest.raises(BadParameter) as err:
        parse_limit(raw, 10, 100)
    assert err.value.details["parameter"] == "limit"


def test_limit_above_the_maximum_is_refused_not_cut():
    with pytest.raises(BadParameter) as err:
        parse_limit("501", 10, 500)
    assert err.value.details["parameter"] == "limit" and err.value.status == 400
    assert parse_limit("500", 10, 500) == 500
    assert parse_limit(None, 10, 500) == 10


def test_offset_and_feature_id():
    assert parse_offset("5") == 5
    with pytest.raises(BadParameter):
        parse_offset("-3")
    assert parse_feature_id("12") == 12
    assert parse_feature_id("12abc") is None
