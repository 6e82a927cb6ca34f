"""Write the .xlsx shape tables (run once: `python tests/plan/tables/make_xlsx.py`).

They are kept in the repository; this script says how they were made.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent


def sub_items_merged() -> None:
    """序号, leader, units and deadline merged over three sub-indicator rows."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["某市2023年稳就业三季度工作推进情况一览表"])
    sheet.merge_cells("A1:G1")
    sheet.append(
        [
            "序号",
            "市政府领导",
            "责任目标内容",
            "完成时限",
            "三季度完成情况",
            "是否按计划完成进度",
            "责任单位",
        ]
    )
    sheet.append(
        [1, "聂元科", "城镇新增就业1.2万人", "年底", "新增0.95万人", "是", "市人力资源社会保障局"]
    )
    sheet.append([None, None, "农村劳动力转移就业5000人", None, "转移就业4100人", "是", None])
    sheet.append([None, None, "城镇登记失业率控制在4%以内", None, "3.2%", "否", None])
    for column in "ABDG":
        sheet.merge_cells(f"{column}3:{column}5")
    sheet.append(
        [
            2,
            "聂元科",
            "发放创业担保贷款5亿元",
            "年底",
            "已发放4.1亿元",
            "是",
            "市人力资源社会保障局",
        ]
    )
    book.save(HERE / "shape_sub_merged.xlsx")


def combined() -> None:
    """A county's table: dated title, leader sections, restarted numbering, merged sub-items,
    配合单位, 顺利推进/严重滞后, 形象进度(%), an extra 备注 column and a note under it."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "进展"
    sheet.append(["附件"])
    sheet.append(["某县2023年重点项目推进情况表（截至5月15日）"])
    sheet.merge_cells("A2:I2")
    sheet.append([])
    sheet.append(
        [
            "序号",
            "责任目标内容",
            "完成时限",
            "牵头单位",
            "配合单位",
            "形象进度(%)",
            "推进情况",
            "是否按计划完成进度",
            "备注",
        ]
    )
    sheet.append(["一、汤飞帆县长牵头重点工作"])
    sheet.merge_cells("A5:I5")
    sheet.append(
        [
            1,
            "建成县人民医院新院区",
            "年底",
            "县卫生健康局",
            "县住建局、县财政局",
            28,
            "主体封顶",
            "顺利推进",
            "省重点",
        ]
    )
    sheet.append(
        [2, "完成高标准农田建设：", "10月底", "县农业农村局", None, None, None, None, None]
    )
    first = sheet.max_row
    sheet.append(
        [None, "（1）新建高标准农田2万亩", None, None, None, 45, "已完成0.9万亩", "顺利推进", None]
    )
    sheet.append([None, "（2）改造提升1万亩", None, None, None, 10, "招标中", "严重滞后", None])
    for column in "ACD":
        sheet.merge_cells(f"{column}{first}:{column}{sheet.max_row}")
    sheet.append(["二、城乡建设"])
    sheet.merge_cells(f"A{sheet.max_row}:I{sheet.max_row}")
    sheet.append(
        [
            1,
            "改造老旧小区12个",
            "年底",
            "县住建局",
            "各乡镇(街道)、县城管局",
            50,
            "已开工12个",
            "按序时推进",
            None,
        ]
    )
    sheet.append([])
    sheet.append(["注：形象进度按工程量估算。"])
    sheet.merge_cells(f"A{sheet.max_row}:I{sheet.max_row}")
    book.save(HERE / "shape_combined.xlsx")


if __name__ == "__main__":
    sub_items_merged()
    combined()
