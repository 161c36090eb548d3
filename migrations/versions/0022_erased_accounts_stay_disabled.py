"""Erased accounts stay disabled

A CHECK on ``users``: an account whose personal data was erased (``erased_at`` set) is never
active again. Erasure has always disabled the account; any row that says otherwise is
disabled first, so the constraint can be added.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 20:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text("UPDATE users SET is_active = false WHERE erased_at IS NOT NULL AND is_active"))
    # SQLite cannot add a CHECK to a table: batch mode copies the table with it.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_check_constraint('erased_stays_disabled', 'erased_at IS NULL OR NOT is_active')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_erased_stays_disabled'), type_='check')
