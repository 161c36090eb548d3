"""Provisional standings while a round is open

``provisional_builds`` and ``provisional_totals`` hold a contest's standings computed by a
background job while one of its rounds still takes attempts, one row per place, so a page of
them is read by place (judging/provisional.py). Nothing to carry over: they are computed the
first time a judge opens the standings of a contest with a round open.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 20:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('provisional_builds',
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('computed_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_provisional_builds_contest_id_contests'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contest_id', name=op.f('pk_provisional_builds'))
    )
    op.create_table('provisional_totals',
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('correct', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.Column('per_round', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['contest_id'], ['provisional_builds.contest_id'],
                            name=op.f('fk_provisional_totals_contest_id_provisional_builds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contest_id', 'place', name=op.f('pk_provisional_totals'))
    )


def downgrade():
    op.drop_table('provisional_totals')
    op.drop_table('provisional_builds')
