"""Kept rankings of finished rounds

``ranking_builds`` and ``ranked_attempts`` hold a finished round's ranking, one row per place,
so the judges' page of a national round reads one page by primary key instead of ranking
450,000 attempts again (judging/materialised.py). Nothing to carry over: a round's ranking is
built the first time it is read.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-19 15:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ranking_builds',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('rules', sa.String(length=200), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('built_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_ranking_builds_round_id_rounds'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_ranking_builds'))
    )
    op.create_table('ranked_attempts',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('correct_count', sa.Integer(), nullable=True),
    sa.Column('prediction', sa.Integer(), nullable=True),
    sa.Column('error', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('submitted_at', quizapp.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts_used', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['ranking_builds.round_id'],
                            name=op.f('fk_ranked_attempts_round_id_ranking_builds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'place', name=op.f('pk_ranked_attempts'))
    )


def downgrade():
    op.drop_table('ranked_attempts')
    op.drop_table('ranking_builds')
