"""python-telegram-bot persistence in SQLite: conversation states, user data and chat data.

The quarterly update's conversation (`DRAFT_CONVERSATION`) and that of instructions and their
answers (`instructions.CONVERSATION`) are special: the state is the step of the writer's draft,
which the flow stores in the same transaction as the text typed. The Application writes
conversation states only every `update_interval` seconds, so a kill -9 could otherwise leave a
state that disagrees with the draft; read from the drafts, it never does.

Bot data and callback data are not kept (the bot keeps its own state in its tables). The data
must be JSON: our handlers keep only small plain values there.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiosqlite
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from storage import instructions
from storage.db import connect
from storage.reports import DRAFT_CONVERSATION, active_drafts

JSONDict = dict[Any, Any]


class SQLitePersistence(BasePersistence[JSONDict, JSONDict, Any]):
    """Keeps conversations, user_data and chat_data in the bot's SQLite file."""

    def __init__(self, path: Path, update_interval: float = 5) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()  # the Application writes several entries at once
        # What the table holds, as JSON, by (kind, id): PTB hands over every active user's
        # data every few seconds, changed or not, and a write that changes nothing is skipped.
        # (Each commit also makes the bot's connection, whose handlers read side by side, wait
        # before it may write.) Absent is the empty dict PTB starts everyone with.
        self._stored: dict[tuple[str, int], str] = {}

    async def _db(self) -> aiosqlite.Connection:
        if self._conn is None:
            self._conn = await connect(self.path)
        return self._conn

    async def _write(self, sql: str, params: tuple[object, ...]) -> None:
        async with self._lock:
            conn = await self._db()
            await conn.execute("BEGIN IMMEDIATE")
            try:
                await conn.execute(sql, params)
            except BaseException:
                await conn.rollback()
                raise
            await conn.commit()

    async def _load(self, kind: str) -> dict[int, JSONDict]:
        conn = await self._db()
        async with conn.execute("SELECT id, data FROM ptb_data WHERE kind = ?", (kind,)) as cur:
            found = {int(i): str(data) for i, data in await cur.fetchall()}
        self._stored.update({(kind, i): data for i, data in found.items()})
        return {i: json.loads(data) for i, data in found.items()}

    async def get_user_data(self) -> dict[int, JSONDict]:
        """Return every user's stored data."""
        return defaultdict(dict, await self._load("user"))

    async def get_chat_data(self) -> dict[int, JSONDict]:
        """Return every chat's stored data."""
        return defaultdict(dict, await self._load("chat"))

    async def get_bot_data(self) -> Any:
        """Bot data is not stored."""
        raise NotImplementedError

    async def get_callback_data(self) -> CDCData | None:
        """Callback data is not stored."""
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        """Return the stored states of one conversation handler."""
        conn = await self._db()
        if name == DRAFT_CONVERSATION:
            return {(d.chat_id, d.telegram_id): d.step for d in await active_drafts(conn)}
        if name == instructions.CONVERSATION:  # 批示 and answers: their drafts' steps too
            found = await instructions.active_drafts(conn)
            return {(d.chat_id, d.telegram_id): d.step for d in found}
        async with conn.execute(
            "SELECT key, state FROM ptb_conversation WHERE name = ?", (name,)
        ) as cursor:
            return {tuple(json.loads(k)): json.loads(s) for k, s in await cursor.fetchall()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Store (or forget, for None) one conversation's state."""
        if name in (DRAFT_CONVERSATION, instructions.CONVERSATION):
            return  # the draft, written by the flow itself, is the record
        encoded = json.dumps(list(key))
        if new_state is None:
            await self._write(
                "DELETE FROM ptb_conversation WHERE name = ? AND key = ?", (name, encoded)
            )
        else:
            await self._write(
                "INSERT INTO ptb_conversation (name, key, state) VALUES (?, ?, ?) "
                "ON CONFLICT (name, key) DO UPDATE SET state = excluded.state",
                (name, encoded, json.dumps(new_state)),
            )

    async def _update(self, kind: str, key: int, data: JSONDict) -> None:
        encoded = json.dumps(data, ensure_ascii=False)
        if self._stored.get((kind, key), "{}") == encoded:
            return
        await self._write(
            "INSERT INTO ptb_data (kind, id, data) VALUES (?, ?, ?) "
            "ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data",
            (kind, key, encoded),
        )
        self._stored[(kind, key)] = encoded

    async def update_user_data(self, user_id: int, data: JSONDict) -> None:
        """Store one user's data."""
        await self._update("user", user_id, data)

    async def update_chat_data(self, chat_id: int, data: JSONDict) -> None:
        """Store one chat's data."""
        await self._update("chat", chat_id, data)

    async def update_bot_data(self, data: Any) -> None:
        """Bot data is not stored."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Callback data is not stored."""

    async def drop_chat_data(self, chat_id: int) -> None:
        """Forget one chat's data."""
        await self._write("DELETE FROM ptb_data WHERE kind = 'chat' AND id = ?", (chat_id,))
        self._stored.pop(("chat", chat_id), None)

    async def drop_user_data(self, user_id: int) -> None:
        """Forget one user's data."""
        await self._write("DELETE FROM ptb_data WHERE kind = 'user' AND id = ?", (user_id,))
        self._stored.pop(("user", user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: JSONDict) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def refresh_chat_data(self, chat_id: int, chat_data: JSONDict) -> None:
        """Nothing to refresh: this process is the only writer."""

    async def refresh_bot_data(self, bot_data: Any) -> None:
        """Bot data is not stored."""

    async def flush(self) -> None:
        """Close the connection at shutdown (every write is already committed)."""
        async with self._lock:
            if self._conn is not None:
                await self._conn.close()
                self._conn = None
