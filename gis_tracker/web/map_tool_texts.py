"""Texts of the map's search box, measuring tools, coordinate readout and permalink button (config.i18n)."""
from __future__ import annotations

from ..i18n import gettext as _


def tool_texts() -> dict[str, str]:
    """Return the UI strings of map-search.js, map-measure.js and map-permalink.js in the current language."""
    return {
        # search
        "search_label": _("搜索地图"), "search_placeholder": _("搜索片区、企业、项目、保护区、水体…（可用拼音首字母）"),
        "search_none": _("没有找到匹配的要素"), "search_failed": _("搜索失败"), "search_clear": _("清除"),
        "search_results": _("搜索结果"),
        # measuring
        "measure": _("测量"), "measure_distance": _("测距"), "measure_area": _("测面"), "measure_clear": _("清除测量"),
        "measure_hint_distance": _("单击地图依次添加点，双击或按 Enter 结束，Backspace 撤销上一点，Esc 取消"),
        "measure_hint_area": _("单击地图依次添加顶点（至少 3 个），双击或按 Enter 结束，Backspace 撤销，Esc 取消"),
        "measure_length": _("长度"), "measure_area_label": _("面积"), "measure_perimeter": _("周长"),
        "measure_method": _("按 CGCS2000 椭球面测地线计算"), "unit_mu": _("亩"), "unit_ha": _("公顷"),
        # coordinates
        "coords": _("坐标"), "coords_lonlat": _("CGCS2000 经纬度"), "coords_xy": _("EPSG:4547 平面坐标"),
        "coords_zone": _("带号 38"), "coords_out": _("将鼠标移到地图上查看坐标"),
        # permalink
        "copy_link": _("复制链接"), "link_copied": _("链接已复制"),
        "copy_manually": _("无法自动复制，请按 Ctrl+C 复制下面的链接"), "notice_close": _("关闭提示"),
    }
