"""Words about people: a role with its binding, and the one line that describes a user."""

from __future__ import annotations

from collections.abc import Callable

from storage.users import User

# A message by key in the reader's language: `render(key, **values)` (the CLI's Translator, or
# a chat's HTML-escaping text bound to the reader's language).
Render = Callable[..., str]


def role_words(render: Render, role: str | None, binding: str | None) -> str:
    """Return a role in words, with the unit or leader it is bound to when there is one."""
    name = render(f"role.{role or 'none'}")
    return render("role.with_binding", role=name, binding=binding) if binding else name


def user_line(render: Render, key: str, user: User, *, seen: str | None) -> str:
    """Return the line describing a user in a list (`key`: the CLI's or the chat's layout).

    `seen`: when the user was last seen, as the reader is shown times (None: never).
    """
    return render(
        key,
        telegram_id=user.telegram_id,
        name=user.name or "—",
        username=f" @{user.username}" if user.username else "",
        role=role_words(render, user.role, user.unit or user.leader),
        state=render("admin.active" if user.active else "admin.inactive"),
        seen=seen or render("admin.never_seen"),
    )
