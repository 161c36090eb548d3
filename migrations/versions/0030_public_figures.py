"""The public results page's figures kept with the locked result

A locked round's published figures (participation, the all-correct count, the top units, the
drawn answer key, the winners) cannot change after the lock but through erasure, so they are
computed once and kept on ``round_results`` instead of on every view (DESIGN §3 rule 11).
Rounds locked earlier get theirs on their page's first view.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-08 00:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('round_results') as batch_op:
        batch_op.add_column(sa.Column('public_figures', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('round_results') as batch_op:
        batch_op.drop_column('public_figures')
