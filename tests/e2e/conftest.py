"""Fixtures that start the test Bot API server and the real `targetbot run` process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from tests.e2e.botapi import FakeBotAPI, User

TOKEN = "123456789:TESTtokenForTheEndToEndRig_0123456"
TODAY = date(2026, 11, 25)  # the bot's date in end-to-end tests (a Wednesday, a working day)
ADMIN = User(1001, "督查", "zh", "duchashi")
LIAISON = User(2002, "水务", "zh", "shuiwu")
OTHER = User(3003, "路人", "zh")
LEADER = User(4004, "王", "zh")


class BotProcess:
    """The real bot, run as `python -m bot run` against the test server."""

    def __init__(self, api: FakeBotAPI, workdir: Path, env: dict[str, str], *args: str) -> None:
        self.args = args or ("run",)
        self.api = api
        self.workdir = workdir
        self.env = env
        self.log = workdir / "bot.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Start the bot and wait until it polls for updates (or has set its webhook)."""
        polls_before = self.api.polls

        def ready() -> bool:
            return self.api.polls > polls_before or self.api.webhook is not None

        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                *self.args,
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        waiting = asyncio.ensure_future(self.api.wait_until(ready, within=30))
        exited = asyncio.ensure_future(self.process.wait())
        done, _ = await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited in done:
            waiting.cancel()
            raise AssertionError(f"the bot exited at start:\n{self.log.read_text()}")
        exited.cancel()
        waiting.result()

    async def stop(self) -> int:
        """Stop the bot as a service manager would (SIGTERM) and return its exit code."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 30)

    async def kill(self) -> None:
        """Kill the bot with no chance to clean up (kill -9)."""
        assert self.process is not None
        self.process.kill()
        await self.process.wait()


async def run_cli(env: dict[str, str], *args: str) -> str:
    """Run `targetbot ARGS…` (as `python -m bot`) with `env`; return what it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, (out + err).decode()
    return out.decode()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """Start the test Bot API server."""
    server = FakeBotAPI(TOKEN)
    await server.start()
    yield server
    await server.stop()
    # Telegram refuses a second answer to a pressed button: the bot must answer each once.
    assert server.answered_twice == [], f"callback queries answered twice: {server.answered_twice}"


@pytest.fixture
def bot_env(api: FakeBotAPI, tmp_path: Path) -> dict[str, str]:
    """Return the environment the bot process runs with."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api.url,
        DATABASE_PATH=str(tmp_path / "targetbot.db"),
        ADMIN_IDS=str(ADMIN.id),
        PYTHONUNBUFFERED="1",
        # A fixed clock in quiet hours: no reminder or digest comes between a test's messages.
        # Tests of pushes set their own time.
        FAKE_TIME=f"{TODAY.isoformat()} 23:00",
    )
    return env


@pytest.fixture
async def bot(
    api: FakeBotAPI, tmp_path: Path, bot_env: dict[str, str]
) -> AsyncIterator[BotProcess]:
    """Run the real bot against the test server; stop only the process this test started."""
    process = BotProcess(api, tmp_path, bot_env)
    await process.start()
    yield process
    if process.process is not None and process.process.returncode is None:
        await process.stop()
