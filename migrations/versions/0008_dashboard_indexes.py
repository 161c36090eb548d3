"""Indexes for the organisers' dashboard

The first and last start of each round are two probes of (round_id, started_at); each
person's attempts and first start in a contest are read in person order from
(user_id, round_id, started_at) alone, instead of hashing every person.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000

"""
import sqlalchemy as sa  # noqa: F401 - kept as every revision imports it
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_round_started', ['round_id', 'started_at'], unique=False)
        batch_op.create_index('ix_attempts_user_round_started', ['user_id', 'round_id', 'started_at'], unique=False)


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_user_round_started')
        batch_op.drop_index('ix_attempts_round_started')
