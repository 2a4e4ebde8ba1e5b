"""What a planner-defined layer may be called, hold and look like."""
import math

import pytest

from gis_tracker.rules.layer_specs import (
    DEFAULT_STYLE,
    LayerSpecProblem,
    check_fields,
    check_name,
    check_order,
    check_style,
)


def test_names_are_lowercase_identifiers_not_taken():
    assert check_name("green_belt_2026", {"zones"}) == "green_belt_2026"
    for bad in ("Zones", "1abc", "a", "with space", "路网", None, "x" * 64):
        with pytest.raises(LayerSpecProblem) as err:
            check_name(bad, set())
        assert err.value.field == "name"
    with pytest.raises(LayerSpecProblem):
        check_name("zones", {"zones"})


def test_fields_are_typed_unique_and_choices_only_on_text():
    fields = check_fields([{"name": "kind", "type": "string", "label": "类别", "choices": ["A", "B"],
                            "required": 1},
                           {"name": "area", "type": "number"}])
    assert fields[0] == {"name": "kind", "type": "string", "label": "类别", "label_en": None,
                         "required": True, "choices": ["A", "B"]}
    assert fields[1]["label"] == "area" and fields[1]["required"] is False
    cases = [
        ([{"name": "a", "type": "blob"}], "fields[0].type"),
        ([{"name": "id"}], "fields[0].name"),
        ([{"name": "a"}, {"name": "a"}], "fields[1].name"),
        ([{"name": "n", "type": "integer", "choices": ["1"]}], "fields[0].choices"),
        ([{"name": "k", "choices": ["A", "A"]}], "fields[0].choices"),
        ("name", "fields"),
    ]
    for spec, field in cases:
        with pytest.raises(LayerSpecProblem) as err:
            check_fields(spec)
        assert err.value.field == field


def test_style_keeps_the_snapshot_keys_and_refuses_nonsense():
    style = check_style({"color": "#AA0000", "weight": 3, "fillOpacity": 0.5, "label_field": "kind"}, ["kind"])
    assert style == {**DEFAULT_STYLE, "color": "#aa0000", "weight": 3.0, "fillOpacity": 0.5, "label_field": "kind"}
    assert set(style) == {"color", "fillColor", "weight", "opacity", "fillOpacity", "label_field"}
    again = check_style({"opacity": 0.2}, ["kind"], base=style)
    assert again["color"] == "#aa0000" and again["opacity"] == 0.2
    for bad, field in [({"color": "red"}, "style.color"), ({"weight": 99}, "style.weight"),
                       ({"fillOpacity": math.nan}, "style.fillOpacity"), ({"opacity": True}, "style.opacity"),
                       ({"label_field": "nope"}, "style.label_field"), ({"onload": "x"}, "style.onload")]:
        with pytest.raises(LayerSpecProblem) as err:
            check_style(bad, ["kind"])
        assert err.value.field == field


def test_order_lists_known_layers_once():
    assert check_order(["b", "a"], {"a", "b", "c"}) == ["b", "a"]
    for bad in (["a", "a"], ["zzz"], "a,b", [1]):
        with pytest.raises(LayerSpecProblem):
            check_order(bad, {"a", "b"})
