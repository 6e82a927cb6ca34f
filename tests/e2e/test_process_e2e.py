"""End to end: the process refuses to start with one clear line, never a traceback or a secret."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from bot.i18n import Translator
from tests.e2e.botapi import FakeBotAPI
from tests.e2e.conftest import TOKEN, BotProcess

zh = Translator("zh")
# A real-looking token the test server does not know: it answers 401, as Telegram does.
OTHER_TOKEN = "987654321:AAHsecretPartThatMustNeverBePrinted99"


async def run(env: dict[str, str], *args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """Run `targetbot ARGS…`; return its exit code, stdout and stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 60)
    except TimeoutError:
        process.kill()  # it did not stop by itself: leave no process behind
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize("command", [("run",), ("remind", "--send")])
@pytest.mark.parametrize("fault", ["401: another token", "404: a mistyped TELEGRAM_API_URL"])
async def test_a_refused_token_is_one_line_naming_the_settings_and_never_printed(
    api: FakeBotAPI, bot_env: dict[str, str], command: tuple[str, ...], fault: str
) -> None:
    env = dict(bot_env)
    if fault.startswith("401"):
        env["BOT_TOKEN"] = OTHER_TOKEN
        token = OTHER_TOKEN
    else:
        env["TELEGRAM_API_URL"] = api.url + "/typo"
        token = TOKEN
    code, out, err = await run(env, *command)

    assert code == 2
    lines = err.strip().splitlines()
    expected = zh(
        "settings.token_rejected",
        url=env["TELEGRAM_API_URL"],
        token=token.split(":")[0] + ":**********",
    )
    assert lines[-1] == expected
    assert "Traceback" not in err
    secret = token.split(":")[1]
    assert secret not in out + err


async def test_a_second_bot_on_the_same_database_is_refused_until_the_first_is_gone(
    api: FakeBotAPI, bot_env: dict[str, str], tmp_path: Path
) -> None:
    first = BotProcess(api, tmp_path, bot_env)
    await first.start()
    assert first.process is not None
    code, out, err = await run(bot_env, "run")
    assert code == 2
    assert err.strip().splitlines() == [
        zh("cli.already_running", path=bot_env["DATABASE_PATH"], pid=first.process.pid)
    ]
    assert "Traceback" not in out + err

    await first.kill()  # kill -9: no chance to clean up; the lock goes with the process
    again = BotProcess(api, tmp_path, bot_env)
    await again.start()
    assert await again.stop() == 0
