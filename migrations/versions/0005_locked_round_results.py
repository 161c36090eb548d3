"""Locked round results

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:07:16.612854

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock  # noqa: F401 - the project's column types

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('round_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('locked_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_by', sa.Integer(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('canonical_csv', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['locked_by'], ['users.id'], name=op.f('fk_round_results_locked_by_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_results_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round_results')),
    sa.UniqueConstraint('round_id', name=op.f('uq_round_results_round_id'))
    )


def downgrade():
    op.drop_table('round_results')
