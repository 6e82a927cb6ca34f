"""End to end: an admin's /export is a document that opens as the table; a liaison's of another
unit is refused."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from bot.i18n import Translator
from tests.e2e.botapi import FakeBotAPI
from tests.e2e.conftest import ADMIN, LIAISON, BotProcess
from tests.e2e.test_import_e2e import bind

zh = Translator("zh")
PLAN = "菏泽市人民政府2023年经济社会发展责任目标"


async def test_an_admin_receives_the_table_and_a_liaison_only_their_own(
    api: FakeBotAPI, bot: BotProcess
) -> None:
    await api.user_sends(ADMIN, "/export 2023Q3 xlsx")
    sent = await api.reply(ADMIN.id)
    assert sent.method == "sendDocument"
    assert sent.file_name == f"{PLAN}_2023Q3.xlsx"
    sheet = load_workbook(io.BytesIO(sent.file_bytes)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == f"{PLAN}三季度工作推进情况一览表"
    assert rows[1][4] == "三季度完成情况"
    assert len(rows) == 2 + 59

    await bind(api, LIAISON, "/invite liaison 市水务局")
    await api.user_sends(LIAISON, "/export 市人力资源社会保障局")
    refused = await api.reply(LIAISON.id)
    assert refused.method == "sendMessage"
    assert refused.text == zh("export.not_allowed", unit="市水务局")
    await api.user_sends(LIAISON, "/export csv")
    own = await api.reply(LIAISON.id)
    assert own.method == "sendDocument"
    assert own.file_name == f"{PLAN}_2023Q3.csv"
    lines = list(csv.reader(io.StringIO(own.file_bytes.decode("utf-8-sig"))))
    assert lines[1][:3] == ["序号", "市政府领导", "责任目标内容"]
    assert lines[2:]
    assert all("市水务局" in line[6] for line in lines[2:])
