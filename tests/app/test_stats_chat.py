"""`/stats` in chat: the quarter in words and its chart as a photo; liaisons see their own unit."""

from __future__ import annotations

from pathlib import Path

from bot.people.accounts import set_role
from storage import targets as plans
from tests.harness import Person, running_bot, shown

ADMIN = Person(1001, "督查")
LIAISON = Person(2003, "工信")
PLAN = "📊 《菏泽市人民政府2023年经济社会发展责任目标》"


async def test_an_admin_gets_the_quarter_in_words_and_the_chart(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        calls = await harness.send(ADMIN, "/stats 2023Q3")
        texts = shown(calls)
        assert texts[0].startswith(PLAN + "2023Q3 统计：共 57 个目标 🔴0 🟡2 🟢55 ⚪0")
        assert "· 王昌华：🔴0 🟡0 🟢42 ⚪0" in texts[0]
        photos = [params for name, params in calls if name == "sendPhoto"]
        assert photos[0]["caption"] == "《菏泽市人民政府2023年经济社会发展责任目标》2023Q3 目标灯色"
        method, _name, data = harness.request.uploads[-1]
        assert method == "sendPhoto"
        assert data.startswith(b"\x89PNG")

        one = shown(await harness.send(ADMIN, "/stats 曹临"))
        assert one[0].startswith(PLAN + "2023Q3 统计（曹临）：共 7 个目标")

        assert shown(await harness.send(ADMIN, "/stats 2023Q5")) == [
            "“2023Q5” 不是季度，请写成 2023Q3 这样。"
        ]


async def test_a_liaison_gets_their_own_unit_only(tmp_path: Path) -> None:
    async with running_bot(tmp_path, frozenset({ADMIN.id})) as harness:
        db = harness.app.bot_data.db
        units = {u.name: u.id for u in await plans.list_units(db)}
        await set_role(
            db,
            telegram_id=LIAISON.id,
            role="liaison",
            binding_id=units["市工业和信息化局"],
            actor="t",
        )
        own = shown(await harness.send(LIAISON, "/stats"))
        assert own[0].startswith(PLAN + "2023Q3 统计（市工业和信息化局）：共 20 个目标")
        assert shown(await harness.send(LIAISON, "/stats 市水务局")) == [
            "联络员只能查看本单位的统计。"
        ]
        assert shown(await harness.send(LIAISON, "/stats 曹临")) == ["联络员只能查看本单位的统计。"]
