"""Suspicion flags, audit log, attempt origin and disqualification

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:33:12.042694

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock  # noqa: F401 - the project's column types

# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)

    op.create_table('flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('created_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', quizapp.clock.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("decision IS NULL OR decision IN ('cleared', 'disqualified')", name=op.f('ck_flags_decision_known')),
    sa.CheckConstraint("kind IN ('too_fast', 'duplicate_person', 'shared_device', 'burst_ip')", name=op.f('ck_flags_kind_known')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_flags_attempt_id_attempts')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_flags_decided_by_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_flags_round_id_rounds')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_flags_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flags')),
    sa.UniqueConstraint('attempt_id', 'kind', name=op.f('uq_flags_attempt_id_kind'))
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flags_round_id'), ['round_id'], unique=False)

    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('start_ip', sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column('disqualified', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('disqualify_reason', sa.Text(), nullable=True))
        batch_op.create_index('ix_attempts_round_device', ['round_id', 'device_id'], unique=False)
        batch_op.create_index('ix_attempts_round_ip_started', ['round_id', 'start_ip', 'started_at'], unique=False)



def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_attempts_round_ip_started')
        batch_op.drop_index('ix_attempts_round_device')
        batch_op.drop_column('disqualify_reason')
        batch_op.drop_column('disqualified')
        batch_op.drop_column('start_ip')
        batch_op.drop_column('device_id')

    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flags_round_id'))

    op.drop_table('flags')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')
