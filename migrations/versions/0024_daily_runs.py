"""The daily tasks' runs on record

``daily_runs`` holds one row per daily task (the retention purge) and day: the background worker
that inserts it runs the task, so it runs once a day however many workers and hosts there are
(quizapp/jobs/daily.py).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 20:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('daily_runs',
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', quizapp.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('task', 'day', name=op.f('pk_daily_runs'))
    )


def downgrade():
    op.drop_table('daily_runs')
