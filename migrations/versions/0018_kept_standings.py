"""Kept standings of finished rounds

``standing_builds`` and ``standing_totals`` hold a contest's finished rounds added up per person,
one row per place, so its standings are read by place, or add up only the rounds still open,
instead of every round's ranking (judging/standings.py). Nothing to carry over: they are built
the first time they are needed.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-20 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('standing_builds',
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('rounds', sa.Text(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('built_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_standing_builds_contest_id_contests'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contest_id', name=op.f('pk_standing_builds'))
    )
    op.create_table('standing_totals',
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.Column('per_round', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['standing_builds.contest_id'],
                            name=op.f('fk_standing_totals_contest_id_standing_builds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contest_id', 'place', name=op.f('pk_standing_totals'))
    )


def downgrade():
    op.drop_table('standing_totals')
    op.drop_table('standing_builds')
