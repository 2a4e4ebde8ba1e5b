"""The map editor's user-visible texts, translated for the current request.

The map scripts read them from the page's JSON config (``config.i18n``), so
every string is Chinese first with its English entry in ``translations/en.json``.
"""
from __future__ import annotations

from ..i18n import gettext as _
from ..i18n import pick
from .map_table_texts import texts as table_texts


def texts() -> dict[str, str]:
    """Return the map page's UI strings by key, in the current language."""
    return {
        # map and legend
        "yes": _("是"), "no": _("否"), "loading": _("加载中…"), "load_failed": _("图层加载失败"),
        "legend": _("图例"), "layers": _("图层"),
        "by_extent": _("按视野加载：显示 {shown} / {total}，放大可看全部"),
        "as_tiles": _("矢量瓦片显示（共 {total} 个要素），放大后可编辑"),
        # edit panel
        "edit": _("编辑"), "edit_layer": _("编辑图层"), "draw_point": _("画点"), "draw_line": _("画线"),
        "draw_polygon": _("画面"), "edit_hint": _("单击地图添加顶点；Enter 完成，Esc 取消，Ctrl+Z 撤销上一个顶点"),
        "edit_shape": _("编辑形状"), "move": _("移动"), "cut_hole": _("挖洞"), "split": _("分割"),
        "delete": _("删除"), "edit_attributes": _("编辑属性"), "history": _("历史"),
        "finish": _("完成"), "save": _("保存"), "cancel": _("取消"), "close": _("关闭"), "saved": _("已保存"),
        "deleted_done": _("已删除（管理员可恢复）"), "cut_hint": _("在要素内画出要挖去的洞，Enter 完成"),
        "split_hint": _("画一条完整穿过该面的分割线，Enter 完成"),
        "shape_hint": _("拖动顶点修改形状；Enter 保存，Esc 取消，Ctrl+Z 撤销"),
        "move_hint": _("拖动要素到新位置；Enter 保存，Esc 取消"),
        "length": _("长度"), "area": _("面积"), "mu": _("亩"),
        "confirm_delete": _("确定删除该要素？删除后管理员可以恢复。"),
        "unsaved_lost": _("放弃未保存的修改？"),
        "busy": _("请先完成或取消当前编辑"),
        # form
        "new_feature": _("新要素"), "attributes_of": _("属性"), "required": _("必填"),
        "field_error": _("请修改标出的字段"), "empty_choice": _("（未填）"),
        # saving problems
        "conflict_title": _("保存冲突：他人已修改该要素"),
        "conflict_text": _("您编辑期间，{user} 保存了新的版本。请对照后选择："),
        "theirs": _("他人的版本"), "mine": _("我的版本"), "field": _("字段"), "geometry": _("几何"),
        "geometry_same": _("相同"), "geometry_changed": _("不同（地图上橙色虚线为他人的几何）"),
        "keep_mine": _("保留我的（覆盖保存）"), "take_theirs": _("采用他人的"), "reload": _("重新加载"),
        "mine_deleted": _("（删除）"),
        "invalid_geometry": _("几何无效，未保存"), "repair": _("修复几何"),
        "repair_result": _(
            "修复结果（地图上绿色虚线）：{type}，{parts} 个部分，面积 {area} m²（{mu} 亩）。确认使用修复后的几何并保存？"),  # noqa: E501 - one catalogue key
        "repair_confirm": _("确认并保存"), "save_failed": _("保存失败"), "network_error": _("网络错误，未保存"),
        "split_result": _(
            "分割为 {n} 个部分（地图上不同颜色）：{areas}。确认保存？原要素保留最大的部分，其余部分作为新要素（复制属性）。"),  # noqa: E501 - one catalogue key
        "split_saved": _("已分割为 {n} 个要素"),
        # history
        "history_of": _("历史版本"), "version": _("版本"), "restore_version": _("恢复此版本"),
        "restore_confirm": _("将第 {n} 版恢复为新版本？"), "restored": _("已恢复"),
        "no_history": _("没有记录的版本（直接写入数据库的要素）"),
        "no_changes": _("属性无变化"), "geometry_modified": _("几何已修改"), "old": _("旧"), "new": _("新"),
        "action_create": _("创建"), "action_update": _("修改"), "action_delete": _("删除"),
        "action_restore": _("恢复"), "action_load": _("导入"), "action_split": _("分割"),
        "deleted_features": _("已删除要素"), "restore": _("恢复"), "show_on_map": _("定位"),
        "none_deleted": _("没有已删除的要素"), "deleted_by": _("删除人"),
        # layer manager
        "manage_layers": _("图层管理"), "new_layer": _("新建图层"), "layer_name": _("图层名（英文标识）"),
        "layer_title": _("图层标题"), "geometry_type": _("几何类型"), "fields": _("字段"),
        "add_field": _("添加字段"), "field_name": _("字段名"), "field_label": _("标题"),
        "field_type": _("类型"), "choices": _("可选值（逗号分隔）"), "remove": _("移除"),
        "style": _("样式"), "stroke_colour": _("边线颜色"), "fill_colour": _("填充颜色"),
        "stroke_width": _("线宽"), "stroke_opacity": _("边线不透明度"), "fill_opacity": _("填充不透明度"),
        "label_field": _("标注字段"), "hidden": _("隐藏"), "move_up": _("上移"), "move_down": _("下移"),
        "no_user_layers": _("还没有自建图层"), "create": _("创建"),
        "type_string": _("文本"), "type_integer": _("整数"), "type_number": _("数字"),
        "type_boolean": _("是/否"), "type_date": _("日期"),
        "geom_Point": _("点"), "geom_LineString": _("线"), "geom_MultiLineString": _("多线"),
        "geom_Polygon": _("面"), "geom_MultiPolygon": _("多面"),
        **table_texts(),  # the attribute table (static/js/map-table.js)
        # layer tree, identify, save feedback
        "group_zones": pick("规划片区", "Planning zones"), "group_protected": pick("保护区", "Protected areas"),
        "group_water": pick("水体", "Water"), "group_projects": pick("建设项目", "Construction projects"),
        "group_enterprises": pick("搬迁企业", "Relocated enterprises"),
        "group_encroachments": pick("冲突范围", "Encroachments"), "group_user": pick("用户图层", "User layers"),
        "group_other": pick("其他图层", "Other layers"), "group_raster": pick("栅格", "Rasters"),
        "zoom_to_layer": _("缩放至图层"), "opacity": _("不透明度"), "collapse": _("收起"), "expand": _("展开"),
        "layer_empty": _("该图层没有要素"),
        "identify_here": _("此处有 {n} 个要素"), "open_review": _("查看审查"),
        "flags_after_save": _("保存后检查：{n} 处冲突"), "flags_cleared": _("已解除 {n} 处冲突"),
        "overlap_figures": _("重叠 {m2} m²（{mu} 亩，{pct}%）"), "distance_figure": _("最近距离 {m} m"),
    }
