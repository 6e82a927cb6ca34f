"""Another connection's write while an import works: does the import lock it out?"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def write_from_another_connection(path: Path | str, leader: str) -> str:
    """Add a leader from a connection of its own, waiting for no lock; return "written" or
    SQLite's error ("database is locked")."""
    other = sqlite3.connect(path, timeout=0)
    try:
        other.execute("INSERT INTO leader (name) VALUES (?)", (leader,))
        other.commit()
        return "written"
    except sqlite3.OperationalError as error:
        return str(error)
    finally:
        other.close()
