"""Ending a conversation from outside it, when another flow opens for the same person.

The conversations share one handler group, and the first one registered that waits for a
person's text takes it: a flow opened while an earlier one still waits would otherwise lose
its words to that one (an instruction typed as a reopening's reason, progress as an answer).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from handlers.context import BotContext


def end(update: Update, context: BotContext, name: str) -> bool:
    """End the conversation called `name` for the update's chat and person; return whether it
    was going."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    key = (chat.id, user.id)
    going = False
    for handler in context.application.handlers.get(0, ()):
        if not isinstance(handler, ConversationHandler) or handler.name != name:
            continue
        # PTB has no public way to end a conversation from outside it: the same steps as its
        # own END (forget the state; the idle timeout is not needed any more).
        going = going or handler._conversations.get(key) is not None
        handler._update_state(ConversationHandler.END, key)
        job = handler.timeout_jobs.pop(key, None)
        if job is not None:
            job.schedule_removal()
    return going
