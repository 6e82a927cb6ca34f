"""Make the .xlsx tables of tests/plan/test_columns.py (run from anywhere; they are checked in)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent


def unknown_content() -> None:
    """A table whose content column has a header no name covers (实事名目)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "进展"
    sheet.append(["某市2024年十件民生实事上半年进展情况"])
    sheet.merge_cells("A1:E1")
    sheet.append(["序号", "实事名目", "牵头单位", "进展情况", "是否按计划"])
    sheet.append([1, "建设保障性租赁住房1000套", "市住房城乡建设局", "已开工800套", "是"])
    sheet.append([2, "改造农村公路200公里", "市交通运输局", "完成改造60公里", "否"])
    book.save(HERE / "col_unknown.xlsx")


def two_row_header() -> None:
    """A header over two rows: 责任单位 merged above 牵头单位 and 配合单位."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["某县2024年政府工作报告重点任务三季度分解落实情况"])
    sheet.merge_cells("A1:F1")
    sheet.append(["序号", "工作任务", "牵头领导", "责任单位", None, "落实情况"])
    sheet.append([None, None, None, "牵头单位", "配合单位", None])
    for column in "ABCF":
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("D2:E2")
    sheet.append([1, "新建5G基站300个", "周斌", "县工信局", "县住建局 县自然资源局", "已建成260个"])
    sheet.append([2, "完成造林1万亩", "周斌", "县林业局", "各乡镇", "完成造林0.4万亩，进度滞后"])
    book.save(HERE / "col_two_rows.xlsx")


if __name__ == "__main__":
    unknown_content()
    two_row_header()
