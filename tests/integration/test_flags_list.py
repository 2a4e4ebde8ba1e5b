"""The flags list names zones (片区 and 功能区), never codes, and speaks English in English mode."""
from __future__ import annotations

from gis_tracker.services.encroachment import flags
from tests.support.clients import login
from tests.support.html import table_rows


def test_flags_list_shows_zone_names_and_english_rule_names(app, session):
    viewer = login(app.test_client(), "viewer")
    listed = flags.list_flags(session)
    by_id = {f["id"]: f for f in listed}
    zh = table_rows(viewer.get("/flags/").get_data(as_text=True), "flags-table")
    assert zh and any(by_id[int(r["attrs"]["data-flag"])]["zone_name"] for r in zh)
    for row in zh:
        flag = by_id[int(row["attrs"]["data-flag"])]
        if flag["zone_name"] is None:  # a project outside every zone (the tests' empty cells)
            assert row["cells"][1] == "—"
            continue
        assert row["cells"][1].startswith(flag["zone_name"]) and flag["zone_code"] not in row["cells"][1]
        assert row["cells"][2] == flag["rule_name"]
    en = table_rows(viewer.get("/flags/?lang=en").get_data(as_text=True), "flags-table")
    for row in en:
        flag = by_id[int(row["attrs"]["data-flag"])]
        assert row["cells"][2] == (flag["rule_name_en"] or flag["rule_name"]), row
        if flag["zone_name"] is None:
            continue
        assert row["cells"][1].startswith(flag["zone_name_en"]) and "片区" not in row["cells"][1]
        if flag["sub_area_name_en"]:
            assert flag["sub_area_name_en"] in row["cells"][1]
    viewer.get("/?lang=zh")
