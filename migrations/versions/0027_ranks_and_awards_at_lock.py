"""Takers' ranks and awards written at the lock

A locked round's rank and award of each ranked person, on their counting attempt: one row of
``attempt_places`` per ranked attempt, a table of its own rather than two columns on
``attempts`` (a lock inserts 160,000 narrow rows into one index instead of rewriting as many
wide rows of the busiest table and every one of its indexes, which made the lock over three
times as long), without foreign keys (checked per row, they were most of what was left). The
round gets the lock's time and how many people it ranked (``rounds.results_locked_at``,
``rounds.ranked_count``). Takers' pages (the attempts package) read them without importing
judging (DESIGN §7 "Rank and award").

Rounds locked before this revision get them from their canonical CSV snapshot, the legal record:
each row's rank (column 0), award (column 9) and attempt id (column 11). A snapshot row whose
person was erased keeps its attempt id and rank, so their attempt keeps its place too, as an
anonymous fact (the attempt already keeps its score).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 23:30:00.000000

"""
import csv
import io

import sqlalchemy as sa
from alembic import op

import quizapp.clock

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

RANK_COLUMN, AWARD_COLUMN, ATTEMPT_COLUMN = 0, 9, 11
BATCH = 5000


def upgrade():
    op.create_table('attempt_places',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('award', sa.String(length=100), nullable=True),
    sa.PrimaryKeyConstraint('attempt_id', name=op.f('pk_attempt_places'))
    )
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results_locked_at', quizapp.clock.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ranked_count', sa.Integer(), nullable=True))
    _fill_locked_rounds(op.get_bind())


def _fill_locked_rounds(connection):
    # The lock's time copied as stored (no round trip through Python's datetimes).
    connection.execute(sa.text(
        "UPDATE rounds SET results_locked_at = (SELECT locked_at FROM round_results WHERE round_id = rounds.id),"
        " ranked_count = (SELECT rows FROM round_results WHERE round_id = rounds.id)"
        " WHERE id IN (SELECT round_id FROM round_results)"))
    results = sa.table('round_results', sa.column('round_id', sa.Integer),
                       sa.column('canonical_csv', sa.LargeBinary))
    places = sa.table('attempt_places', sa.column('attempt_id', sa.Integer), sa.column('round_id', sa.Integer),
                      sa.column('rank', sa.Integer), sa.column('award', sa.String))
    attempts = sa.table('attempts', sa.column('id', sa.Integer), sa.column('round_id', sa.Integer))
    for round_id in connection.scalars(sa.select(results.c.round_id).order_by(results.c.round_id)).all():
        # One snapshot in memory at a time: a national round's is tens of megabytes.
        data = connection.scalar(sa.select(results.c.canonical_csv).where(results.c.round_id == round_id))
        # Only attempts that still exist in the round (a snapshot is a record; attempts are rows).
        known = set(connection.scalars(sa.select(attempts.c.id).where(attempts.c.round_id == round_id)))
        batch = []
        for row in _snapshot_rows(bytes(data)):
            if int(row[ATTEMPT_COLUMN]) not in known:
                continue
            batch.append({'attempt_id': int(row[ATTEMPT_COLUMN]), 'round_id': round_id,
                          'rank': int(row[RANK_COLUMN]), 'award': row[AWARD_COLUMN] or None})
            if len(batch) == BATCH:
                connection.execute(places.insert(), batch)
                batch = []
        if batch:
            connection.execute(places.insert(), batch)


def _snapshot_rows(data):
    """The snapshot's rows that name their attempt (every snapshot since revision 0005 does)."""
    reader = csv.reader(io.StringIO(data.decode('utf-8')))
    next(reader, None)
    for row in reader:
        if len(row) > ATTEMPT_COLUMN and row[ATTEMPT_COLUMN].isdigit() and row[RANK_COLUMN].isdigit():
            yield row


def downgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('ranked_count')
        batch_op.drop_column('results_locked_at')
    op.drop_table('attempt_places')
