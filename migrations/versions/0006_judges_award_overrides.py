"""Judges' award overrides

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:19:56.107379

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock  # noqa: F401 - the project's column types

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('award_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('award', sa.String(length=100), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_award_overrides_decided_by_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_award_overrides_round_id_rounds')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_award_overrides_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_overrides')),
    sa.UniqueConstraint('round_id', 'user_id', name=op.f('uq_award_overrides_round_id_user_id'))
    )


def downgrade():
    op.drop_table('award_overrides')
