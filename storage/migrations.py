"""Versioned schema migrations, tracked in `PRAGMA user_version`."""

from __future__ import annotations

import aiosqlite

# Each entry moves the schema one version up; never edit a released entry, append a new one.
MIGRATIONS: tuple[str, ...] = (
    # 1: plans, targets, who is responsible, and the append-only report history.
    """
    CREATE TABLE plan (
        id          INTEGER PRIMARY KEY,
        title       TEXT NOT NULL UNIQUE,
        year        INTEGER NOT NULL,
        is_current  INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),
        created_at  TEXT NOT NULL
    );
    CREATE UNIQUE INDEX plan_one_current ON plan (is_current) WHERE is_current = 1;

    CREATE TABLE leader (
        id    INTEGER PRIMARY KEY,
        name  TEXT NOT NULL UNIQUE
    );

    CREATE TABLE unit (
        id    INTEGER PRIMARY KEY,
        name  TEXT NOT NULL UNIQUE
    );

    CREATE TABLE target (
        id          INTEGER PRIMARY KEY,
        plan_id     INTEGER NOT NULL REFERENCES plan (id),
        number      INTEGER NOT NULL,
        content     TEXT NOT NULL,
        deadline    TEXT NOT NULL,
        due_date    TEXT,
        retired_at  TEXT,
        UNIQUE (plan_id, number)
    );

    CREATE TABLE assignment (
        id          INTEGER PRIMARY KEY,
        target_id   INTEGER NOT NULL REFERENCES target (id),
        position    INTEGER NOT NULL,
        leader_id   INTEGER NOT NULL REFERENCES leader (id),
        retired_at  TEXT,
        UNIQUE (target_id, position)
    );

    CREATE TABLE assignment_unit (
        assignment_id  INTEGER NOT NULL REFERENCES assignment (id),
        position       INTEGER NOT NULL,
        unit_id        INTEGER NOT NULL REFERENCES unit (id),
        PRIMARY KEY (assignment_id, position),
        UNIQUE (assignment_id, unit_id)
    );
    CREATE INDEX assignment_unit_by_unit ON assignment_unit (unit_id);

    CREATE TABLE report (
        id             INTEGER PRIMARY KEY,
        assignment_id  INTEGER NOT NULL REFERENCES assignment (id),
        period         TEXT NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]Q[1-4]'),
        revision       INTEGER NOT NULL CHECK (revision >= 1),
        progress       TEXT NOT NULL,
        status         TEXT NOT NULL CHECK (status IN ('on_track', 'behind', 'completed')),
        reason         TEXT,
        remedy         TEXT,
        source         TEXT NOT NULL CHECK (source IN ('import', 'chat')),
        submitted_by   INTEGER,
        submitted_at   TEXT NOT NULL,
        UNIQUE (assignment_id, period, revision)
    );

    -- 留痕: report history is append-only, enforced by the database itself.
    CREATE TRIGGER report_no_update BEFORE UPDATE ON report
    BEGIN SELECT RAISE(ABORT, 'report history is append-only'); END;
    CREATE TRIGGER report_no_delete BEFORE DELETE ON report
    BEGIN SELECT RAISE(ABORT, 'report history is append-only'); END;
    """,
    # 2: the audit log: who did what to what, and when.
    """
    CREATE TABLE audit_log (
        id       INTEGER PRIMARY KEY,
        at       TEXT NOT NULL,
        actor    TEXT NOT NULL,
        action   TEXT NOT NULL,
        subject  TEXT NOT NULL,
        detail   TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_log_by_at ON audit_log (at);
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
    # 3: people: Telegram users with their role and binding, single-use invitations, and a
    # small key-value table for facts about the bot itself (its username, for invite links).
    """
    CREATE TABLE user (
        telegram_id   INTEGER PRIMARY KEY,
        role          TEXT CHECK (role IN ('admin', 'leader', 'liaison')),
        unit_id       INTEGER REFERENCES unit (id),
        leader_id     INTEGER REFERENCES leader (id),
        name          TEXT NOT NULL DEFAULT '',
        username      TEXT,
        language      TEXT CHECK (language IN ('zh', 'en')),
        active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        created_at    TEXT NOT NULL,
        last_seen_at  TEXT,
        CHECK ((role IS 'liaison') = (unit_id IS NOT NULL)),
        CHECK ((role IS 'leader') = (leader_id IS NOT NULL))
    );
    CREATE INDEX user_by_unit ON user (unit_id);
    CREATE INDEX user_by_leader ON user (leader_id);

    CREATE TABLE invite (
        id          INTEGER PRIMARY KEY,
        code_hash   TEXT NOT NULL UNIQUE,
        role        TEXT NOT NULL CHECK (role IN ('admin', 'leader', 'liaison')),
        unit_id     INTEGER REFERENCES unit (id),
        leader_id   INTEGER REFERENCES leader (id),
        created_by  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        expires_at  TEXT NOT NULL,
        used_by     INTEGER,
        used_at     TEXT,
        CHECK ((role IS 'liaison') = (unit_id IS NOT NULL)),
        CHECK ((role IS 'leader') = (leader_id IS NOT NULL))
    );

    CREATE TABLE meta (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    );
    """,
    # 4: what admins call units (人社局 → 市人力资源社会保障局), and questions kept for paging.
    """
    CREATE TABLE unit_alias (
        alias    TEXT PRIMARY KEY,
        unit_id  INTEGER NOT NULL REFERENCES unit (id)
    );

    CREATE TABLE saved_query (
        id           INTEGER PRIMARY KEY,
        telegram_id  INTEGER NOT NULL,
        text         TEXT NOT NULL,
        created_at   TEXT NOT NULL
    );
    CREATE INDEX report_by_assignment ON report (assignment_id, period, revision);
    """,
    # 5: quarterly updates in chat: which unit's part a report is, whether it waits for review,
    # the draft it came from (a second confirm finds it), periods admins open and close, drafts
    # that survive restarts, reviews, and python-telegram-bot's own persistence.
    """
    ALTER TABLE report ADD COLUMN unit_id INTEGER REFERENCES unit (id);
    ALTER TABLE report ADD COLUMN needs_review INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE report ADD COLUMN draft_key TEXT;
    CREATE UNIQUE INDEX report_by_draft ON report (draft_key) WHERE draft_key IS NOT NULL;

    CREATE TABLE period (
        plan_id     INTEGER NOT NULL REFERENCES plan (id),
        period      TEXT NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]Q[1-4]'),
        state       TEXT NOT NULL CHECK (state IN ('open', 'closed')),
        deadline    TEXT,
        changed_by  TEXT NOT NULL,
        changed_at  TEXT NOT NULL,
        PRIMARY KEY (plan_id, period)
    );

    CREATE TABLE draft (
        telegram_id      INTEGER PRIMARY KEY,
        key              TEXT NOT NULL UNIQUE,
        chat_id          INTEGER NOT NULL,
        assignment_id    INTEGER NOT NULL REFERENCES assignment (id),
        unit_id          INTEGER NOT NULL REFERENCES unit (id),
        period           TEXT NOT NULL,
        step             TEXT NOT NULL,
        progress         TEXT NOT NULL DEFAULT '',
        status           TEXT CHECK (status IN ('on_track', 'behind', 'completed')),
        reason           TEXT,
        remedy           TEXT,
        replace_next     INTEGER NOT NULL DEFAULT 0,
        paused           INTEGER NOT NULL DEFAULT 0,
        last_message_id  INTEGER NOT NULL DEFAULT 0,
        started_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL
    );
    CREATE INDEX draft_by_unit ON draft (unit_id, period);

    CREATE TABLE review (
        report_id   INTEGER PRIMARY KEY REFERENCES report (id),
        decision    TEXT NOT NULL CHECK (decision IN ('approved', 'returned')),
        comment     TEXT,
        reviewer    INTEGER NOT NULL,
        at          TEXT NOT NULL
    );

    CREATE TABLE ptb_data (
        kind  TEXT NOT NULL CHECK (kind IN ('user', 'chat')),
        id    INTEGER NOT NULL,
        data  TEXT NOT NULL,
        PRIMARY KEY (kind, id)
    );

    CREATE TABLE ptb_conversation (
        name   TEXT NOT NULL,
        key    TEXT NOT NULL,
        state  TEXT NOT NULL,
        PRIMARY KEY (name, key)
    );
    """,
    # 6: pushes (reminders, 催办 summaries, digests): one row per stable key, claimed before it is
    # sent, so each goes out once across restarts and overlapping checks; digest muting, and
    # when a user got their role (a leader's first digest comes on the next digest day).
    """
    ALTER TABLE user ADD COLUMN digest_muted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE user ADD COLUMN bound_at TEXT;

    CREATE TABLE push (
        key           TEXT PRIMARY KEY,
        kind          TEXT NOT NULL,
        recipient     INTEGER NOT NULL,
        text          TEXT NOT NULL,
        buttons       TEXT NOT NULL DEFAULT '[]',
        payload       TEXT NOT NULL DEFAULT '{}',
        state         TEXT NOT NULL
                      CHECK (state IN ('sending', 'sent', 'retry', 'failed', 'blocked')),
        attempts      INTEGER NOT NULL DEFAULT 0,
        attempted_at  TEXT,
        next_try_at   TEXT,
        error         TEXT,
        created_at    TEXT NOT NULL,
        sent_at       TEXT
    );
    CREATE INDEX push_by_state ON push (state, next_try_at);
    CREATE INDEX push_by_recipient ON push (recipient, kind, sent_at);
    """,
    # 7: drafts remember whether the writer came from the preview (a changed step goes back to
    # it), and hold a message that read as a question until the writer says what it was.
    """
    ALTER TABLE draft ADD COLUMN back_to_preview INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE draft ADD COLUMN held_text TEXT;
    ALTER TABLE draft ADD COLUMN held_message_id INTEGER NOT NULL DEFAULT 0;
    """,
    # 8: a calendar deadline, once announced (the running bot had the period open), is kept on
    # the period's row (state 'announced'): it holds until an admin changes it or closes the
    # period, even after the plan's year is over. SQLite cannot widen a CHECK: rebuild the table.
    """
    CREATE TABLE period_new (
        plan_id     INTEGER NOT NULL REFERENCES plan (id),
        period      TEXT NOT NULL CHECK (period GLOB '[0-9][0-9][0-9][0-9]Q[1-4]'),
        state       TEXT NOT NULL CHECK (state IN ('open', 'closed', 'announced')),
        deadline    TEXT,
        changed_by  TEXT NOT NULL,
        changed_at  TEXT NOT NULL,
        PRIMARY KEY (plan_id, period)
    );
    INSERT INTO period_new (plan_id, period, state, deadline, changed_by, changed_at)
        SELECT plan_id, period, state, deadline, changed_by, changed_at FROM period;
    DROP TABLE period;
    ALTER TABLE period_new RENAME TO period;
    """,
    # 9: other governments' tables: a target's number as the table shows it when numbering
    # restarts per section (2-3), its section's category, the table's other columns as JSON
    # [[header, value], …]; an assignment's units lead or assist (a 配合单位 column); and the
    # date an imported report is of (截至5月15日), where the table names one.
    """
    ALTER TABLE target ADD COLUMN label TEXT;
    ALTER TABLE target ADD COLUMN category TEXT;
    ALTER TABLE target ADD COLUMN extra TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE assignment_unit ADD COLUMN role TEXT NOT NULL DEFAULT 'lead'
        CHECK (role IN ('lead', 'assist'));
    ALTER TABLE report ADD COLUMN as_of TEXT;
    """,
    # 10: the layout a plan's table came in, for exporting it the same way: its title line as
    # written and its header columns in order, each with the role it was read as ("extra" for
    # the table's other columns), as JSON [[header, role], …]. The last import's layout wins.
    """
    CREATE TABLE plan_layout (
        plan_id     INTEGER PRIMARY KEY REFERENCES plan (id),
        title_line  TEXT NOT NULL,
        columns     TEXT NOT NULL
    );
    """,
    # 11: 办结: a target the lead unit reported completed is closed by an admin (the local date
    # and who); reopening clears both. Closing and reopening (with its reason) are audited.
    """
    ALTER TABLE target ADD COLUMN closed_on TEXT;
    ALTER TABLE target ADD COLUMN closed_by TEXT;
    """,
    # 12: extension requests (延期申请): a lead unit's liaison asks for a later due date with the
    # reason and the progress so far; an admin (or the leader) approves or refuses with a
    # comment. `original_due` is the due date when asked; on approval target.due_date becomes
    # `new_due`. At most one open request per target.
    """
    CREATE TABLE extension_request (
        id             INTEGER PRIMARY KEY,
        target_id      INTEGER NOT NULL REFERENCES target (id),
        assignment_id  INTEGER REFERENCES assignment (id),
        unit_id        INTEGER REFERENCES unit (id),
        asked_by       INTEGER NOT NULL,
        asked_at       TEXT NOT NULL,
        original_due   TEXT,
        new_due        TEXT NOT NULL,
        reason         TEXT NOT NULL,
        progress       TEXT NOT NULL,
        state          TEXT NOT NULL DEFAULT 'open'
                       CHECK (state IN ('open', 'approved', 'refused')),
        decided_by     TEXT,
        decided_at     TEXT,
        comment        TEXT
    );
    CREATE UNIQUE INDEX extension_one_open ON extension_request (target_id)
        WHERE state = 'open';
    """,
    # 13: 佐证材料 (evidence): photos and documents kept with a draft, a report revision, an
    # answer to an instruction or its draft. `owner_id` is the drafter's Telegram id for the
    # drafts (one draft per user), report.id of the revision, or the answer's id. The bytes live
    # in `<database folder>/files/<sha[:2]>/<sha>` (content-addressed, written before the row);
    # `file_id` re-sends it through Telegram. A revision carries copies of its predecessor's
    # rows (the draft starts with them), so every revision lists its own evidence.
    """
    CREATE TABLE evidence (
        id              INTEGER PRIMARY KEY,
        owner_kind      TEXT NOT NULL
                        CHECK (owner_kind IN ('draft', 'report', 'answer_draft', 'answer')),
        owner_id        INTEGER NOT NULL,
        position        INTEGER NOT NULL,
        sha256          TEXT NOT NULL,
        file_id         TEXT NOT NULL,
        file_unique_id  TEXT NOT NULL,
        name            TEXT NOT NULL,
        kind            TEXT NOT NULL CHECK (kind IN ('photo', 'document')),
        mime            TEXT NOT NULL,
        size            INTEGER NOT NULL,
        added_by        INTEGER NOT NULL,
        added_at        TEXT NOT NULL,
        UNIQUE (owner_kind, owner_id, position)
    );
    CREATE INDEX evidence_by_owner ON evidence (owner_kind, owner_id);
    """,
    # 14: instructions (批示): a leader's or admin's written instruction on a target, addressed to
    # the lead units (and the assisting units when the author chose), each unit's answers, and
    # the drafts of both, kept at every step. Instructions and answers are append-only (triggers
    # refuse an UPDATE or DELETE); `source_key` is the draft they came from, so a second confirm
    # stores nothing. Drafts use AUTOINCREMENT: an id is never reused, so what points at a draft
    # (its buttons, evidence of an answer being written) can never point at another one. The
    # pushes (the instruction to the liaisons, the answer to the author, the chase) are `push`
    # rows.
    """
    CREATE TABLE instruction (
        id            INTEGER PRIMARY KEY,
        target_id     INTEGER NOT NULL REFERENCES target (id),
        author_id     INTEGER NOT NULL,
        author_name   TEXT NOT NULL,
        author_role   TEXT NOT NULL CHECK (author_role IN ('leader', 'admin')),
        text          TEXT NOT NULL,
        written_at    TEXT NOT NULL,
        written_on    TEXT NOT NULL,
        reply_due     TEXT NOT NULL,
        to_assisting  INTEGER NOT NULL DEFAULT 0 CHECK (to_assisting IN (0, 1)),
        source_key    TEXT UNIQUE
    );
    CREATE INDEX instruction_by_target ON instruction (target_id);
    CREATE INDEX instruction_by_author ON instruction (author_id);
    CREATE TRIGGER instruction_no_update BEFORE UPDATE ON instruction
    BEGIN SELECT RAISE(ABORT, 'instructions are append-only'); END;
    CREATE TRIGGER instruction_no_delete BEFORE DELETE ON instruction
    BEGIN SELECT RAISE(ABORT, 'instructions are append-only'); END;

    CREATE TABLE instruction_unit (
        instruction_id  INTEGER NOT NULL REFERENCES instruction (id),
        unit_id         INTEGER NOT NULL REFERENCES unit (id),
        role            TEXT NOT NULL CHECK (role IN ('lead', 'assist')),
        PRIMARY KEY (instruction_id, unit_id)
    );

    CREATE TABLE instruction_answer (
        id              INTEGER PRIMARY KEY,
        instruction_id  INTEGER NOT NULL REFERENCES instruction (id),
        unit_id         INTEGER NOT NULL REFERENCES unit (id),
        answered_by     INTEGER NOT NULL,
        answerer_name   TEXT NOT NULL,
        text            TEXT NOT NULL,
        answered_at     TEXT NOT NULL,
        source_key      TEXT UNIQUE
    );
    CREATE INDEX instruction_answer_by_instruction ON instruction_answer (instruction_id);
    CREATE TRIGGER instruction_answer_no_update BEFORE UPDATE ON instruction_answer
    BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;
    CREATE TRIGGER instruction_answer_no_delete BEFORE DELETE ON instruction_answer
    BEGIN SELECT RAISE(ABORT, 'answers are append-only'); END;

    CREATE TABLE instruction_draft (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        telegram_id     INTEGER NOT NULL UNIQUE,
        chat_id         INTEGER NOT NULL,
        kind            TEXT NOT NULL CHECK (kind IN ('write', 'answer')),
        target_id       INTEGER REFERENCES target (id),
        instruction_id  INTEGER REFERENCES instruction (id),
        step            TEXT NOT NULL,
        text            TEXT,
        to_assisting    INTEGER NOT NULL DEFAULT 0 CHECK (to_assisting IN (0, 1)),
        paused          INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
        updated_at      TEXT NOT NULL
    );
    """,
    # 15: indexes for point reads that walked a whole table at 100k targets: the review queue
    # (the few reports that had to wait for review), the latest period a plan has reports for
    # (every /report step asks; read newest first), and a target's extension requests.
    """
    CREATE INDEX report_awaiting_review ON report (id) WHERE needs_review = 1;
    CREATE INDEX report_by_period ON report (period, assignment_id);
    CREATE INDEX extension_by_target ON extension_request (target_id, state);
    """,
)

CURRENT_VERSION = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The database was written by a newer targetbot than this one."""

    def __init__(self, version: int) -> None:
        super().__init__(f"schema version {version} is newer than {CURRENT_VERSION}")
        self.values = {"version": version, "supported": CURRENT_VERSION}


async def schema_version(conn: aiosqlite.Connection) -> int:
    """Return the schema version the database is at."""
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection, target: int = CURRENT_VERSION) -> int:
    """Apply every migration above the database's version up to `target`; return the version."""
    version = await schema_version(conn)
    if version > CURRENT_VERSION:
        raise SchemaTooNew(version)
    for number in range(version + 1, target + 1):
        # One script per step, atomic: either the whole step and its version, or nothing.
        await conn.executescript(
            f"BEGIN IMMEDIATE;\n{MIGRATIONS[number - 1]}\nPRAGMA user_version = {number};\nCOMMIT;"
        )
    return await schema_version(conn)
