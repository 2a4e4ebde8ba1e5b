"""The attribute table's user-visible texts (static/js/map-table.js), translated for the current request."""
from __future__ import annotations

from ..i18n import gettext as _


def texts() -> dict[str, str]:
    """Return the attribute table's UI strings by key, in the current language."""
    return {
        "table": _("属性表"), "table_open": _("打开属性表"), "table_layer": _("选择图层"),
        "table_count": _("共 {n} 条"), "table_range": _("第 {from}–{to} 条，共 {n} 条"),
        "table_empty": _("没有符合条件的要素"), "table_loading": _("加载中…"),
        "table_first": _("首页"), "table_prev": _("上一页"), "table_next": _("下一页"), "table_last": _("末页"),
        "table_page_size": _("每页"), "table_refresh": _("刷新"), "table_collapse": _("折叠"),
        "table_expand": _("展开"), "table_resize": _("拖动调整属性表高度"), "table_id": _("编号"),
        "table_sort": _("按此列排序"), "table_sort_asc": _("升序"), "table_sort_desc": _("降序"),
        "table_filter": _("筛选"), "table_filter_field": _("筛选字段"), "table_filter_op": _("条件"),
        "table_filter_value": _("值"), "table_filter_add": _("添加筛选"), "table_filter_clear": _("清除筛选"),
        "table_filter_remove": _("移除此筛选"), "table_filter_none": _("未筛选"),
        "op_contains": _("包含"), "op_eq": _("等于"), "op_ne": _("不等于"), "op_starts": _("开头是"),
        "op_lt": _("小于"), "op_le": _("小于等于"), "op_gt": _("大于"), "op_ge": _("大于等于"),
        "op_before": _("早于"), "op_after": _("晚于"), "op_null": _("为空"), "op_not_null": _("不为空"),
        "table_value_needed": _("请填写筛选值"), "table_bad_number": _("请填写数字"),
        "table_export_csv": _("导出 CSV"), "table_export_xlsx": _("导出 Excel"),
        "table_export_hint": _("导出当前筛选和排序的全部 {n} 条"),
        "table_edit_hint": _("双击编辑"), "table_save": _("保存"), "table_cancel": _("取消"),
        "table_saved": _("已保存：{field}"),
        "table_refreshed": _("该行已被他人更新，已显示最新内容"),
        "table_conflict": _(
            "保存冲突：{user} 已修改该要素。该行已重新加载为最新内容；您的输入仍在编辑框中，再次保存将覆盖，或取消。"),  # noqa: E501 - one catalogue key
        "table_load_failed": _("属性表加载失败"), "table_columns": _("显示列"),
        "table_columns_all": _("全部显示"), "table_review_link": _("查看该项目的两型审查"),
    }
