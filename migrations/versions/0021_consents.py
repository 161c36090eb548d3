"""Consent to the privacy notice on record

``consents`` holds every consent to a version of the privacy notice (how it was given, and a
parent's or guardian's for a child); ``users.consent_version`` keeps the account's latest
version, so checks read it with the account. Accounts from before have none: they are asked
at their next sign-in, and cannot start an attempt until they consent.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-21 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('given_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('how', sa.String(length=8), nullable=False),
    sa.Column('guardian_name', sa.String(length=120), nullable=True),
    sa.Column('guardian_phone', sa.String(length=10), nullable=True),
    sa.Column('guardian_consent', sa.Boolean(), nullable=False),
    sa.CheckConstraint("how IN ('web', 'api', 'paper')", name=op.f('ck_consents_how_known')),
    sa.CheckConstraint('NOT guardian_consent OR (guardian_name IS NOT NULL AND guardian_phone IS NOT NULL)',
                       name=op.f('ck_consents_guardian_named')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_consents_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    op.create_index(op.f('ix_consents_user_id'), 'consents', ['user_id'], unique=False)
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('consent_version', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('consent_version')
    op.drop_index(op.f('ix_consents_user_id'), table_name='consents')
    op.drop_table('consents')
