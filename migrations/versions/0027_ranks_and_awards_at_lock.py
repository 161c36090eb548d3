"""Takers' ranks and awards written at the lock

A locked round's rank and award of each ranked person go onto their counting attempt
(``attempts.rank``, ``attempts.award``), and the round gets the lock's time and how many people
it ranked (``rounds.results_locked_at``, ``rounds.ranked_count``), so takers' pages (the
attempts package) show them without importing judging (DESIGN §7 "Rank and award").

Rounds locked before this revision get them from their canonical CSV snapshot, the legal record:
each row's rank (column 0), award (column 9) and attempt id (column 11). A snapshot row whose
person was erased keeps its attempt id and rank, so their attempt keeps its rank and award too,
as anonymous facts (the attempt already keeps its score).

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
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rank', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('award', sa.String(length=100), nullable=True))
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
    attempts = sa.table('attempts', sa.column('id', sa.Integer), sa.column('round_id', sa.Integer),
                        sa.column('rank', sa.Integer), sa.column('award', sa.String))
    set_place = (attempts.update().where(attempts.c.id == sa.bindparam('attempt'),
                                         attempts.c.round_id == sa.bindparam('round'))
                 .values(rank=sa.bindparam('place'), award=sa.bindparam('prize')))
    for round_id in connection.scalars(sa.select(results.c.round_id).order_by(results.c.round_id)).all():
        # One snapshot in memory at a time: a national round's is tens of megabytes.
        data = connection.scalar(sa.select(results.c.canonical_csv).where(results.c.round_id == round_id))
        batch = []
        for row in _snapshot_rows(bytes(data)):
            batch.append({'attempt': int(row[ATTEMPT_COLUMN]), 'round': round_id, 'place': int(row[RANK_COLUMN]),
                          'prize': row[AWARD_COLUMN] or None})
            if len(batch) == BATCH:
                connection.execute(set_place, batch)
                batch = []
        if batch:
            connection.execute(set_place, batch)


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
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('award')
        batch_op.drop_column('rank')
