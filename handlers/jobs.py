"""Send the pushes that are due: from the job queue every minute, or from `targetbot remind`."""

from __future__ import annotations

import asyncio
import html
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import aiosqlite
from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.i18n import Translator
from bot.push import Push
from bot.push import service as pushes
from bot.query.engine import QueryEngine
from bot.settings import Settings
from handlers.context import BotContext
from handlers.reply import Buttons, buttons, pieces, send_pieces

log = logging.getLogger(__name__)
CHECK_EVERY = 60  # seconds between checks for due pushes
SENDING_AT_ONCE = 8  # sends in flight together; the rate limiter keeps to Telegram's limits


@dataclass
class Delivery:
    """What one check did."""

    sent: list[Push] = field(default_factory=list)
    blocked: list[Push] = field(default_factory=list)
    unstarted: list[Push] = field(default_factory=list)  # "chat not found": never opened the bot
    refused: list[Push] = field(default_factory=list)  # any other 400: failed at once, for good
    retrying: list[Push] = field(default_factory=list)
    failed: list[Push] = field(default_factory=list)


def _markup(push: Push) -> Buttons | None:
    return buttons(push.buttons) if push.buttons else None


async def _send(bot: Bot, push: Push, done_before: int = 0) -> tuple[str, str | None, int]:
    """Send one push, split to Telegram's limits with its buttons on the last message.

    Return the outcome — `sent`, `blocked` (403), `unstarted` (the chat was never opened),
    `bad` (any other 400: sending it again would fail again) or `error` (worth another try) —
    what went wrong, and how many of its messages went out (those are skipped on a retry).
    """
    parts = pieces(html.escape(push.text))
    done = min(done_before, len(parts) - 1)
    try:
        markup = _markup(push)
        async for sent in send_pieces(bot, push.recipient, parts, markup, first=done, push=True):
            done = sent
    except ValueError as error:  # a button Telegram would refuse: sending again fails again
        return "bad", str(error), done
    except Forbidden as error:
        return "blocked", str(error), done
    except RetryAfter as error:  # still 429 after the rate limiter's own retries
        return "error", f"429: retry after {error.retry_after}", done
    except BadRequest as error:  # permanent: the same request fails the same way
        kind = "unstarted" if "chat not found" in str(error).lower() else "bad"
        return kind, f"{type(error).__name__}: {error}", done
    except TelegramError as error:  # timeouts, network trouble, 5xx
        return "error", f"{type(error).__name__}: {error}", done
    return "sent", None, done


async def _send_all(
    bot: Bot, conn: aiosqlite.Connection, batch: list[Push], now: datetime, delivery: Delivery
) -> None:
    """Send a batch, a few at a time, and record each outcome as it comes.

    Pushes to the same person go out as one message (bot/pushes.gathered); each keeps its own
    record, and shares the message's fate.
    """
    gate = asyncio.Semaphore(SENDING_AT_ONCE)

    async def one(group: list[Push]) -> None:
        async with gate:
            outcome, error, done = await _send(
                bot, pushes.together(group), pushes.parts_sent_before(group)
            )
        for push in group:
            state = await pushes.settled(
                conn, push, outcome, now, error=error, group=group, done=done
            )
            lists = {"sent": delivery.sent, "blocked": delivery.blocked, "retry": delivery.retrying}
            if outcome == "unstarted":
                lists["blocked"] = delivery.unstarted
            elif outcome == "bad":
                lists["failed"] = delivery.refused
            lists.get(state, delivery.failed).append(replace(push, error=error))
            if error:
                log.warning("push %s to %s: %s (%s)", push.key, push.recipient, error, state)

    await asyncio.gather(*(one(group) for group in pushes.gathered(batch)))


async def deliver(
    bot: Bot,
    conn: aiosqlite.Connection,
    settings: Settings,
    engine: QueryEngine,
    now: datetime,
    *,
    minute: pushes.Minute | None = None,
) -> Delivery:
    """Send every push due now, once; tell admins of users who blocked the bot and of failures.

    `minute` keeps what the bot's check planned from one minute to the next. (`engine` is no
    longer read: the check reads only what it plans from.)
    """
    t = Translator(settings.default_language)
    delivery = Delivery()
    await _send_all(
        bot, conn, await pushes.claim_due(conn, settings, now, t, minute), now, delivery
    )
    troubles = (
        [("blocked", p) for p in delivery.blocked]
        + [("unstarted", p) for p in delivery.unstarted]
        + [("refused", p) for p in delivery.refused]
        + [("failed", p) for p in delivery.failed]
    )
    notices = await pushes.admin_notices(conn, settings, troubles, now, t)
    if notices:
        await _send_all(bot, conn, notices, now, Delivery())
    await pushes.record_check(conn)
    return delivery


async def send_now(
    bot: Bot, conn: aiosqlite.Connection, settings: Settings, batch: list[Push], now: datetime
) -> Delivery:
    """Send pushes claimed by a user's action (an instruction, its answer) at once.

    They were claimed with what caused them, so each goes out once; one interrupted here is
    tried again by the minute's check, like any push.
    """
    delivery = Delivery()
    if not batch:
        return delivery
    await _send_all(bot, conn, batch, now, delivery)
    troubles = [("blocked", p) for p in delivery.blocked] + [
        ("unstarted", p) for p in delivery.unstarted
    ]
    notices = await pushes.admin_notices(
        conn, settings, troubles, now, Translator(settings.default_language)
    )
    if notices:
        await _send_all(bot, conn, notices, now, Delivery())
    return delivery


async def check_pushes(context: BotContext) -> None:
    """The job: send what is due now."""
    services = context.services
    delivery = await deliver(
        context.bot,
        services.db,
        services.settings,
        services.engine,
        services.now(),
        minute=services.minute,
    )
    failed = delivery.failed + delivery.refused
    if delivery.sent or delivery.blocked or delivery.unstarted or failed:
        log.info(
            "pushes: %d sent, %d blocked, %d to retry, %d failed",
            len(delivery.sent),
            len(delivery.blocked) + len(delivery.unstarted),
            len(delivery.retrying),
            len(failed),
        )


def start_checking(job_queue: Any) -> None:
    """Check for due pushes now and then every minute (a stable job name: one such job)."""
    for job in job_queue.get_jobs_by_name("pushes"):
        job.schedule_removal()
    job_queue.run_repeating(check_pushes, interval=CHECK_EVERY, first=1, name="pushes")
