"""Quantities read from real phrases of the demo table; expectations written by reading them."""

from __future__ import annotations

from datetime import date

import pytest

from bot.status.quantities import elapsed_share, estimate, quantities, stated_completion

YI, WAN = 1e8, 1e4
# phrase → [(value in base units, unit, bound)], read from the text by a person.
PHRASES: list[tuple[str, list[tuple[float, str, str]]]] = [
    ("新建并开通5G基站1700个以上", [(1700, "个", "at_least")]),
    ("水利工程施工完成投资30亿元以上", [(30 * YI, "元", "at_least")]),
    ("实现城镇新增就业6.5万人以上", [(6.5 * WAN, "人", "at_least")]),
    ("规模以上工业增加值增长6%左右", [(6, "%", "about")]),
    ("新建住宅小区绿色综合能源服务站50个", [(50, "个", "exact")]),
    ("全市已建成绿色综合能源服务站18个", [(18, "个", "exact")]),
    ("推进现代水网建设,完成投资16.32亿元", [(16.32 * YI, "元", "exact")]),
    ("新建并开通5G基站1640个", [(1640, "个", "exact")]),
    ("累计发放创业担保贷款14.64亿元", [(14.64 * YI, "元", "exact")]),
    ("全年发放“就业创业系列贷”15亿元以上", [(15 * YI, "元", "at_least")]),
    ("前三季度,城镇新增就业5.68万人,完成率87.3%",
     [(5.68 * WAN, "人", "exact"), (87.3, "%", "exact")]),
    ("新增返乡创业就业3.5万人以上,领办创办经济实体1.2万个以上",
     [(3.5 * WAN, "人", "at_least"), (1.2 * WAN, "个", "at_least")]),
    ("全市返乡创业就业3.35万人,领办创办实体1.47万家",
     [(3.35 * WAN, "人", "exact"), (1.47 * WAN, "家", "exact")]),
    ("新创设城乡公益性岗位6万个以上", [(6 * WAN, "个", "at_least")]),
    ("全市新创设城乡公益性岗位6.03万个,已上岗6.03万人",
     [(6.03 * WAN, "个", "exact"), (6.03 * WAN, "人", "exact")]),
    ("新建“小荷学堂”100个", [(100, "个", "exact")]),
    ("全市117处“小荷学堂”已圆满结课", [(117, "处", "exact")]),
    ("招募了来自省内外的755名大学生志愿者", [(755, "名", "exact")]),
    ("服务农村留守儿童4000余名", [(4000, "名", "at_least")]),
    ("省级重点签约项目共19个", [(19, "个", "exact")]),
    ("力争新引进过亿元项目10个以上", [(10, "个", "at_least")]),
    ("持续推进9个省级化工园区规范化建设", [(9, "个", "exact")]),
    ("加快建设东明石化30万吨/年UPC科技试验", [(30 * WAN, "吨", "exact")]),
    ("新增营业收入过10亿元企业5家", [(10 * YI, "元", "at_least"), (5, "家", "exact")]),
    ("新增专精特新中小企业149家", [(149, "家", "exact")]),
    ("新增规模以上工业企业350家以上", [(350, "家", "at_least")]),
    ("目前库内企业已超400家", [(400, "家", "at_least")]),
    ("推动26家企业开展智能化改造", [(26, "家", "exact")]),
    ("入驻企业500家以上", [(500, "家", "at_least")]),
    ("已入驻企业828家", [(828, "家", "exact")]),
    ("完成重要科技成果登记100项以上", [(100, "项", "at_least")]),
    ("完成科技成果登记198项,已完成全年目标任务", [(198, "项", "exact")]),
    ("培植院士协同创新中心3个", [(3, "个", "exact")]),
    ("系统推广节能降碳技术、清洁生产装备,新增省级绿色工厂4个", [(4, "个", "exact")]),
    ("农村千兆速率固定网络端口突破180万个", [(180 * WAN, "个", "at_least")]),
    ("农村千兆速率固定网络端口达到181万个", [(181 * WAN, "个", "exact")]),
    ("确保40%以上的县域医共体达到省级标准", [(40, "%", "at_least")]),
    ("居民医疗保险参保率达到97%以上", [(97, "%", "at_least")]),
    ("免费开展新生儿48种遗传代谢病筛查", [(48, "种", "exact")]),
    ("新增3岁以下婴幼儿照护服务托位1万个", [(1 * WAN, "个", "exact")]),
    ("前三季度,新增3岁以下婴幼儿照护服务托位12969个", [(12969, "个", "exact")]),
    ("全市市政合流管网改造143.99公里,完成率96.59%",
     [(143.99, "公里", "exact"), (96.59, "%", "exact")]),
    ("1—9月,我市空气质量在全国168个城市中排名第130位", [(168, "个", "exact")]),
    ("组织开展退役士兵专项招聘会5次,参会企业1800余家,提供工作岗位8400余个",
     [(5, "次", "exact"), (1800, "家", "at_least"), (8400, "个", "at_least")]),
    ("提供就业岗位7万余个,达成意向2.3万人",
     [(7 * WAN, "个", "at_least"), (2.3 * WAN, "人", "exact")]),
    ("兑现市级补贴837.09万元", [(837.09 * WAN, "元", "exact")]),
    ("全市共举办高校毕业生招聘会、直播带岗活动286场次", [(286, "场次", "exact")]),
    ("城乡低收入“两癌”妇女每人一次性救助5000或10000元",
     [(5000, "元", "exact"), (10000, "元", "exact")]),
    ("前三季度,规模以上工业增加值增长12.7%,高于全省5.6个百分点", [(12.7, "%", "exact")]),
    ("建设一批区域创新龙头、重大创新载体和重要科研阵地", []),
    ("持续抓好高校毕业生、农民工、退役军人等重点群体就业", []),
    ("推进疾控中心标准化建设", []),
]  # fmt: skip


@pytest.mark.parametrize(("phrase", "expected"), PHRASES)
def test_quantities_in_real_phrases(phrase: str, expected: list[tuple[float, str, str]]) -> None:
    found = [(round(q.value, 6), q.unit, q.bound) for q in quantities(phrase)]
    assert found == [(round(v, 6), u, b) for v, u, b in expected]


# (target text, progress text) → (target, achieved, unit, share) or None for "no estimate".
PAIRS = [
    ("新建住宅小区绿色综合能源服务站50个", "全市已建成绿色综合能源服务站18个",
     (50, 18, "个", 0.36)),
    ("持续推进“七网”建设,水利工程施工完成投资30亿元以上", "推进现代水网建设,完成投资16.32亿元",
     (30 * YI, 16.32 * YI, "元", 0.544)),
    ("新建并开通5G基站1700个以上", "新建并开通5G基站1640个", (1700, 1640, "个", 1640 / 1700)),
    ("全年发放“就业创业系列贷”15亿元以上",
     "累计发放创业担保贷款14.64亿元,发放在外创业乡情贷9.6亿元,超额完成全年任务",
     (15 * YI, 14.64 * YI, "元", 0.976)),
    ("新建“小荷学堂”100个", "全市117处“小荷学堂”已圆满结课", None),  # 个 vs 处: never paired
    ("规模以上工业增加值增长6%左右", "规模以上工业增加值增长12.7%", None),  # rates
    ("新培育省级以上“专精特新”中小企业100家、国家、省制造业单项冠军5家",
     "新增专精特新中小企业149家", None),  # two amounts of 家 in the target: unsure
    ("新增3岁以下婴幼儿照护服务托位1万个", "新增3岁以下婴幼儿照护服务托位12969个",
     (1 * WAN, 12969, "个", 1.2969)),
]  # fmt: skip


@pytest.mark.parametrize(("goal", "progress", "expected"), PAIRS)
def test_pairing_only_the_same_unit(
    goal: str, progress: str, expected: tuple[float, float, str, float] | None
) -> None:
    result = estimate(goal, progress)
    if expected is None:
        assert result is None
        return
    assert result is not None
    assert result.target == pytest.approx(expected[0])
    assert result.achieved == pytest.approx(expected[1])
    assert result.unit == expected[2]
    assert result.share == pytest.approx(expected[3], abs=1e-3)


def test_a_stated_completion_wins() -> None:
    result = estimate("实现城镇新增就业6.5万人以上", "城镇新增就业5.68万人,完成率87.3%")
    assert result is not None
    assert result.explicit
    assert result.share == pytest.approx(0.873)
    stated = estimate("推进全民参保精准扩面", "全市全民参保精准扩面95199人,完成年度目标任务的136%")
    assert stated is not None
    assert stated.share == pytest.approx(1.36)


def test_elapsed_share_of_the_year_at_a_period_end() -> None:
    q3 = date(2023, 9, 30)
    assert elapsed_share(q3, date(2023, 12, 31), 2023) == pytest.approx(0.75)
    assert elapsed_share(q3, date(2023, 10, 31), 2023) == pytest.approx(0.9)
    assert elapsed_share(q3, None, 2023) == pytest.approx(0.75)  # ongoing: the whole year
    assert elapsed_share(q3, date(2023, 6, 30), 2023) == pytest.approx(1.0)


# Numbers out of any sane range are not quantities: a run of numerals too long to be an amount
# is read as nothing, whatever its length (a float overflows past 309 digits, and Python's int
# refuses strings of more than 4,300 digits).
ENDLESS = [
    "已完成" + "一" * 310 + "个",
    "已完成" + "一" * 4400 + "个",
    "已完成" + "九" * 20 + "个",
    "完成" + "1" * 400 + "个",
    "完成" + "9" * 5000 + "亿元",
    "完成" + "1" * 16 + "万亿元",
    "完成1." + "5" * 400 + "个",
    "每人" + "1" * 400 + "或" + "2" * 400 + "元",
    "1" * 400 + "至5个",
    "1" * 30 + " " * 30 + "至5个",
    "完成率" + "9" * 400 + "%",
    "完成" + "十" * 50 + "个",
]


@pytest.mark.parametrize("text", ENDLESS)
def test_a_number_out_of_any_sane_range_is_not_a_quantity(text: str) -> None:
    assert [q for q in quantities(text) if q.value > 1e15] == []
    assert quantities(text + "，完成投资16.32亿元")[-1].value == pytest.approx(16.32 * YI)
    assert estimate("水利工程施工完成投资30亿元以上", text) is None


def test_long_but_sane_numbers_are_still_read() -> None:
    assert [q.value for q in quantities("完成投资123456789012345元")] == [123456789012345]
    assert [q.value for q in quantities("新增九千九百九十九个")] == [9999]
    assert [q.value for q in quantities("端口一二三四五六个")] == [123456]
    assert [q.value for q in quantities("1.5个")] == [1.5]
    assert stated_completion("完成率136.5%") == pytest.approx(1.365)
    # The tail of a run too long for an amount is no amount either, however far before it starts.
    assert [q.value for q in quantities("1" * 30 + " " * 30 + "至5个")] == [5]
    assert [q.value for q in quantities("3至5个")] == [3, 5]
