"""How officials write a question in Chinese: fillers, negated statuses, and words.

A question is rarely just names: `王市长分管的医保工作`, `有哪些工作没按计划完成`,
`请帮我看看曹临同志负责的就业目标`. The names of the plan are found first (parse.py); what is
left is split into words by a general dictionary (jieba's, through rjieba), and each word is
then a filler (分管, 的, 工作), a keyword (医保), or a name the dictionary did not know.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import product

import rjieba

# Words that carry no filter in a Chinese question: question words, particles, courtesies,
# and the words officials put around what they ask (分管, 负责, 同志, 目标, 工作).
FILLERS = frozenset(
    {
        *("的", "了", "吗", "呢", "啊", "吧", "呀", "嘛", "么", "哈"),
        *("目标", "目标任务", "任务", "工作", "事项", "项目任务", "责任目标", "事情", "事"),
        *("哪些", "有哪些", "哪几项", "哪几个", "哪项", "哪个", "哪", "什么", "啥", "几项", "几个"),
        *("多少", "有没有", "是不是", "是否", "怎么样", "怎样", "如何", "咋样", "怎么", "咋"),
        *("情况", "进展", "进度", "进展情况", "推进情况", "完成情况", "落实情况", "工作进展"),
        *("状态", "现状", "动态", "结果", "成效"),
        *("请", "请问", "麻烦", "麻烦您", "帮我", "帮忙", "帮", "给我", "我想", "想", "我要", "要"),
        *("看看", "看一下", "看下", "查一下", "查查", "查", "查询", "查看", "一下", "下", "看"),
        *("了解", "了解一下", "问问", "问一下", "说说", "汇报", "列出", "列一下", "显示"),
        *("所有", "全部", "都", "一共", "总共", "共", "各项", "各", "每个", "每项"),
        *("分管", "负责", "主管", "牵头", "主抓", "抓", "联系", "协管", "分管的", "负责的"),
        *("常务", "同志", "领导", "市长", "副市长", "常务副市长", "秘书长", "书记", "主任", "局长"),
        *("县长", "副县长", "区长", "副区长", "镇长", "部长"),
        *("完成", "完成得", "做得", "搞得", "干得", "推进得", "进行得", "落实得", "开展得", "到期"),
        *("单位", "部门", "责任单位", "牵头单位", "哪些单位", "哪个单位"),
        *("方面", "相关", "有关", "关于", "涉及", "领域", "部分", "这块", "这一块", "这个", "那个"),
        *("那边", "这边", "那块", "这块", "查下", "管的", "了没", "没有呢", "得怎么样"),
        *("建得", "修得", "办得", "弄得", "抓得", "干的", "做的", "搞的"),
        *("现在", "目前", "当前", "眼下", "最近", "近期", "本期", "这期"),
        *("还", "还有", "有", "是", "在", "都是", "已", "并", "和", "与", "及", "或", "或者"),
        *("其中", "里", "中", "里面", "当中", "之中", "以下", "上", "下面"),
    }
)
# Single characters a split leaves that are never a keyword on their own.
FUNCTION_CHARS = frozenset(
    "的了吗呢啊吧呀嘛么哈有还是在都也就又把被给让对为等和与及或我你他她它们这那哪谁啥个项些下副得做搞干"
)

_NOT = ("没", "没有", "未", "还没", "还没有", "尚未", "没能", "未能", "还未", "仍未", "并未")
_ON_PLAN = ("按计划", "按照计划", "按时", "按期", "如期", "按进度", "按时序", "按时间节点")
_REPORT = ("填报", "报送", "上报", "提交", "报", "报进度", "填", "交")


def _negated_statuses() -> dict[str, str]:
    """Return the negated and compound status phrases: 没按计划 → behind, 未完成 → unfinished."""
    words: dict[str, str] = {}
    for no, plan, end in product((*_NOT, "不"), _ON_PLAN, ("", "完成", "推进", "进行")):
        words[no + plan + end] = "behind"
    for no, done in product(_NOT, ("完成", "全部完成", "办结", "完工", "达标", "实现")):
        words[no + done] = "unfinished"
    for no, report in product(_NOT, _REPORT):
        words[no + report] = "not_submitted"
    for no, late in product((*_NOT, "不"), ("滞后", "落后", "逾期", "超期")):
        words[no + late] = "fine"
    for plan, end in product(_ON_PLAN, ("完成", "推进", "进行")):
        words[plan + end] = "on_track"
    words.update(dict.fromkeys(("进展顺利", "顺利推进", "正常推进", "推进顺利"), "on_track"))
    finished = ("完成了", "已完成", "已经完成", "已全部完成", "全部完成", "已办结", "办结")
    words.update(dict.fromkeys(finished, "completed"))
    words.update(dict.fromkeys(("进展缓慢", "推进缓慢", "进度缓慢", "进度慢", "拖后腿"), "behind"))
    return words


NEGATED_STATUSES = _negated_statuses()
# Phrases naming the 是否按计划 column itself: a question about status, not a filter of it.
STATUS_QUESTIONS = frozenset(
    "是否" + plan + end
    for plan, end in product(("", *_ON_PLAN), ("", "完成", "完成进度", "推进", "进行"))
    if plan or end
) | {"完成情况", "完成进度", "推进情况", "进展情况"}


@lru_cache(maxsize=4096)  # questions asked again; bounded: every text typed is not kept
def _split(text: str) -> tuple[str, ...]:
    return tuple(rjieba.cut(text))


def words_of(text: str) -> list[str]:
    """Return the words of Chinese text as a general dictionary splits it, fillers left out.

    Letters and digits stay with their neighbours as the dictionary keeps them (5G, 10万).
    """
    return [w for w in _split(text) if w.strip() and not is_filler(w)]


# Phrases the parser skips as a whole where they stand, before any status word inside them
# is read: 有没有滞后 asks whether any are behind, it does not say "none behind".
ASKING = frozenset({"有没有", "有无", "是不是", "是否"})


def is_filler(word: str) -> bool:
    """Tell whether a word of a question carries no filter (的, 分管, 帮我看看, 同志)."""
    return (
        word in FILLERS or (len(word) == 1 and word in FUNCTION_CHARS) or word in STATUS_QUESTIONS
    )
