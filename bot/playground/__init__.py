"""The playground: the real bot in a browser chat, with no Telegram and no token.

`botapi` is a local Bot API server (the part of Telegram's Bot API the bot uses, over real
HTTP); `server` runs it, the real Application pointed at it, and the chat page with its side API
in one process (`targetbot playground`, and `make run` when no BOT_TOKEN is set).
"""
