"""Updates side by side but each person's in order; sends paced, answers before pushes."""

from __future__ import annotations

import asyncio
import warnings
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.turns import Turns
from handlers.ordering import InOrderPerChat
from handlers.pacing import PUSH, ChatPace, GroupPace, Pacer, Priority


def message(update_id: int, user: int, chat: int | None = None) -> Update:
    """Return an update carrying a text message from `user` (in their private chat)."""
    data = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat or user, "type": "private" if chat is None else "group"},
            "from": {"id": user, "is_bot": False, "first_name": f"u{user}"},
            "text": f"m{update_id}",
        },
    }
    return Update.de_json(data, None)


async def test_one_persons_updates_wait_their_turn_while_anothers_run() -> None:
    processor = InOrderPerChat()
    done: list[str] = []
    first_may_end = asyncio.Event()

    async def handle(name: str, gate: asyncio.Event | None = None) -> None:
        if gate is not None:
            await gate.wait()
        done.append(name)

    async with processor:
        a1 = asyncio.create_task(
            processor.process_update(message(1, 11), handle("a1", first_may_end))
        )
        a2 = asyncio.create_task(processor.process_update(message(2, 11), handle("a2")))
        b1 = asyncio.create_task(processor.process_update(message(3, 22), handle("b1")))
        await b1  # another person is not held up by the first one's slow update
        assert done == ["b1"]
        assert not a2.done()  # the same person's next update waits for the first
        first_may_end.set()
        await asyncio.gather(a1, a2)
    assert done == ["b1", "a1", "a2"]
    assert processor.waiting == 0  # nobody waits: nothing is kept


async def test_a_group_keeps_its_order_across_people() -> None:
    processor = InOrderPerChat()
    done: list[str] = []
    gate = asyncio.Event()

    async def handle(name: str, wait: bool = False) -> None:
        if wait:
            await gate.wait()
        done.append(name)

    async with processor:
        first = asyncio.create_task(
            processor.process_update(message(1, 11, chat=-5), handle("x", wait=True))
        )
        second = asyncio.create_task(processor.process_update(message(2, 22, chat=-5), handle("y")))
        await asyncio.sleep(0)
        assert done == []
        gate.set()
        await asyncio.gather(first, second)
    assert done == ["x", "y"]


async def test_a_burst_is_worked_through_in_the_order_it_came() -> None:
    # Ten people at once, each handler ten database round trips (here: ten yields). Side by side
    # all would finish together after a hundred; in turns, two at a time, the first two finish
    # before the seventh starts and the first answer is ready after ten.
    processor = InOrderPerChat(turns=Turns(at_once=2))
    events: list[str] = []

    async def handle(name: str) -> None:
        events.append(f"start {name}")
        for _ in range(10):
            await asyncio.sleep(0)
        events.append(f"done {name}")

    async with processor:
        await asyncio.gather(
            *(processor.process_update(message(i, 100 + i), handle(str(i))) for i in range(10))
        )
    assert events.index("done 0") < events.index("start 6")
    assert events.index("done 1") < events.index("start 6")
    assert [e for e in events if e.startswith("done")] == [f"done {i}" for i in range(10)]


async def test_a_handler_waiting_on_telegram_lets_the_next_one_work() -> None:
    processor = InOrderPerChat(turns=Turns(at_once=1, hold=3600))
    pacer = Pacer()
    done: list[str] = []
    received = asyncio.Event()

    async def telegram() -> bool:  # a slow call: answered once the other handler has run
        await received.wait()
        return True

    async def waits_on_telegram() -> None:
        await pacer.process_request(telegram, (), {}, "sendMessage", {"chat_id": 11}, None)
        done.append("a")

    async def quick() -> None:
        done.append("b")
        received.set()

    async with processor:
        await asyncio.wait_for(
            asyncio.gather(
                processor.process_update(message(1, 11), waits_on_telegram()),
                processor.process_update(message(2, 22), quick()),
            ),
            10,
        )
    await pacer.shutdown()
    assert done == ["b", "a"]


async def test_a_turn_held_too_long_is_given_up() -> None:
    # A wait nobody foresaw (no step_aside) holds the others up for `hold` seconds at most.
    processor = InOrderPerChat(turns=Turns(at_once=1, hold=0.01))
    done: list[str] = []
    gate = asyncio.Event()

    async def stuck() -> None:
        await gate.wait()
        done.append("a")

    async def quick() -> None:
        done.append("b")
        gate.set()

    async with processor:
        await asyncio.wait_for(
            asyncio.gather(
                processor.process_update(message(1, 11), stuck()),
                processor.process_update(message(2, 22), quick()),
            ),
            60,
        )
    assert done == ["b", "a"]


async def test_a_reply_goes_before_the_pushes_already_waiting() -> None:
    pacer = Pacer()
    sent: list[str] = []

    async def call(name: str) -> bool:
        sent.append(name)
        return True

    async def send(name: str, chat: int, priority: Priority | None) -> Any:
        return await pacer.process_request(
            call, (name,), {}, "sendMessage", {"chat_id": chat}, priority
        )

    pushes = [asyncio.create_task(send(f"push{i}", 100 + i, PUSH)) for i in range(8)]
    await asyncio.sleep(0)  # the pushes wait for their slots
    answer = asyncio.create_task(send("answer", 7, None))
    await asyncio.gather(answer, *pushes)
    await pacer.shutdown()
    assert sent == ["push0", "answer", *[f"push{i}" for i in range(1, 8)]]


async def test_no_second_holds_more_than_thirty_sends() -> None:
    pacer = Pacer()
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def call() -> bool:
        times.append(loop.time())
        return True

    await asyncio.gather(
        *(
            pacer.process_request(call, (), {}, "sendMessage", {"chat_id": i}, PUSH)
            for i in range(45)
        )
    )
    await pacer.shutdown()
    assert len(times) == 45
    assert all(later - earlier >= 1.0 for earlier, later in zip(times, times[30:], strict=False))


def test_a_chat_gets_a_burst_then_one_message_a_second() -> None:
    pace = ChatPace(spacing=1.0, burst=3)
    waits = [pace.delay(7, now=100.0) for _ in range(5)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert pace.delay(8, now=100.0) == 0.0  # another chat keeps its own pace
    assert pace.delay(7, now=110.0) == 0.0  # an idle chat has its burst again


def test_a_group_gets_at_most_twenty_messages_in_any_minute() -> None:
    pace = GroupPace(count=20, period=60.0)
    starts = [100.0 + pace.delay(-5, now=100.0) for _ in range(45)]
    assert starts[:20] == [100.0] * 20
    assert starts[20:40] == [160.0] * 20
    assert starts[40:] == [220.0] * 5
    assert all(later - earlier >= 60.0 for earlier, later in zip(starts, starts[20:], strict=False))


async def test_a_429_is_waited_out_and_the_call_made_again() -> None:
    pacer = Pacer()
    tries: list[int] = []
    with warnings.catch_warnings():  # PTB's own message reads the deprecated int form
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        too_many = RetryAfter(timedelta(seconds=0))

    async def call() -> bool:
        tries.append(1)
        if len(tries) == 1:
            raise too_many
        return True

    result = await pacer.process_request(call, (), {}, "sendMessage", {"chat_id": 7}, None)
    await pacer.shutdown()
    assert result is True
    assert len(tries) == 2
