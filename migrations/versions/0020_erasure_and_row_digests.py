"""Erasure of a person's data, and the redactable checksum of locked rounds

``users.erased_at`` marks an account whose personal data was erased (quizapp/privacy/erasure.py);
``attempts.erased`` takes such a person's attempts of an unlocked round out of the ranking.
``round_results.checksum_scheme`` says how a locked round's checksum is computed: rounds locked
before this change keep ``sha256-csv`` (the SHA-256 of the canonical CSV), new locks use
``sha256-rows-v1`` (one salted digest per row in ``row_digests``, the checksum over them).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-21 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', quizapp.clock.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    with op.batch_alter_table('round_results', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checksum_scheme', sa.String(length=32), server_default='sha256-csv',
                                      nullable=False))
        batch_op.add_column(sa.Column('row_digests', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('round_results', schema=None) as batch_op:
        batch_op.drop_column('row_digests')
        batch_op.drop_column('checksum_scheme')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('erased')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
