"""The consents a person gave, as "my data" lists them.

The consents table belongs to the consent feature of issue 19 (built beside this one); until it
exists this answers ``[]``, so "my data" works before and after it arrives. Once it exists its
rows are read by column name (``version``, ``given_at``, and where present ``method``,
``guardian_name``, ``guardian_phone``), so the table needs no model known here.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table, inspect, select

from quizapp.extensions import db

TABLE = "consents"
SHOWN = ("version", "given_at", "method", "guardian_name", "guardian_phone")


def consents_of(user_id: int) -> list[dict[str, object]]:
    """The person's consents, oldest first: ``[{version, given_at, …}]``; ``[]`` without the table."""
    connection = db.session.connection()
    if not inspect(connection).has_table(TABLE):
        return []
    table = Table(TABLE, MetaData(), autoload_with=connection)
    columns = [table.c[name] for name in SHOWN if name in table.c]
    rows = db.session.execute(select(*columns).where(table.c.user_id == user_id)
                              .order_by(table.c.given_at, *table.primary_key.columns))
    return [{name: value for name, value in row._mapping.items() if value is not None or name == "given_at"}
            for row in rows]
