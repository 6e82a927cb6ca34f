"""Check, at the moment of every action, who is acting and whether their role allows it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from telegram import Chat, Update

from bot.people.accounts import Account, visit
from handlers.context import BotContext
from handlers.reply import notice

R = TypeVar("R")
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, R | None]]
AccountCallback = Callable[[Update, BotContext, Account], Coroutine[Any, Any, R]]


async def current_account(update: Update, context: BotContext) -> Account | None:
    """Read the acting user's account from the database now, recording the visit."""
    user = update.effective_user
    if user is None or user.is_bot:
        return None
    services = context.services
    return await visit(
        services.db,
        services.settings,
        user.id,
        name=user.full_name,
        username=user.username,
        telegram_language=user.language_code,
        visits=services.visits,
    )


def requires(
    role: str | None, *, private: bool = False
) -> Callable[[AccountCallback[R]], Callback[R]]:
    """Let the callback run only for users holding `role` (or above), read afresh each time.

    A stranger is told how to get an invite; anyone else without the role is told it is not
    theirs. With `private`, the action runs only in a private chat.
    """

    def decorate(callback: AccountCallback[R]) -> Callback[R]:
        @functools.wraps(callback)
        async def checked(update: Update, context: BotContext) -> R | None:
            account = await current_account(update, context)
            if account is None:
                return None
            if not account.has(role):
                key = "access.stranger" if account.role is None else "access.denied"
                await notice(update, context.text(account.language, key))
                return None
            chat = update.effective_chat
            if private and chat is not None and chat.type != Chat.PRIVATE:
                await notice(update, context.text(account.language, "access.private_only"))
                return None
            return await callback(update, context, account)

        return checked

    return decorate


VISITS_EVERY = 60  # seconds between stores of the last-seen times noted (bot/people/visits.py)


async def store_visits(context: BotContext) -> None:
    """Store the last-seen times noted since the last store (a job, every minute)."""
    services = context.services
    await services.visits.store(services.db)


def start_storing_visits(job_queue: Any) -> None:
    """Store the noted last-seen times every minute, from now on."""
    job_queue.run_repeating(store_visits, interval=VISITS_EVERY, first=VISITS_EVERY, name="visits")
