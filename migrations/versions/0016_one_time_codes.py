"""One-time codes, verified phones, contests that require them

``one_time_codes`` holds the live six-digit code of an account for a password reset or a
phone verification (hashed, with its wrong tries), ``users.phone_verified_at`` when a code sent
by SMS proved the phone, and ``contests.require_verified_phone`` whether a contest admits only
such accounts. Existing accounts start unverified and existing contests do not require it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-22 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('one_time_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('created_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('sms', 'helpdesk')", name=op.f('ck_one_time_codes_channel_known')),
    sa.CheckConstraint("purpose IN ('password_reset', 'phone_verification')",
                       name=op.f('ck_one_time_codes_purpose_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_one_time_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_one_time_codes')),
    sa.UniqueConstraint('user_id', 'purpose', name=op.f('uq_one_time_codes_user_id_purpose'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_verified_at', quizapp.clock.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('require_verified_phone', sa.Boolean(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.drop_column('require_verified_phone')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone_verified_at')
    op.drop_table('one_time_codes')
