"""Certificates (Giấy chứng nhận) and the contests' certificate settings

A table ``certificates``: one per person per locked round (the award's, or the participation
one where the contest gives those), with its short public code for the verification page, the
facts printed on it (kept so that page reads one row, and erasure blanks exactly them) and when
it was issued, erased or revoked. Three columns on ``contests``: whether participants get a
certificate too, the certificate's title, and the logo or seal image (PNG, kept in the database
so every host serves the same file: DESIGN §7). Existing contests give award certificates only,
titled "GIẤY CHỨNG NHẬN", without an image.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 23:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock

# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_participants', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))
        batch_op.add_column(sa.Column('certificate_title', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('certificate_logo', sa.LargeBinary(), nullable=True))
    op.create_table(
        'certificates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('attempt_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('rank', sa.Integer(), nullable=True),
        sa.Column('award', sa.String(length=100), nullable=True),
        sa.Column('holder_name', sa.String(length=200), nullable=True),
        sa.Column('holder_unit', sa.String(length=300), nullable=True),
        sa.Column('holder_phone', sa.String(length=16), nullable=True),
        sa.Column('issued_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
        sa.Column('erased_at', quizapp.clock.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', quizapp.clock.UTCDateTime(timezone=True), nullable=True),
        sa.Column('revoked_reason', sa.String(length=500), nullable=True),
        sa.CheckConstraint("kind IN ('award', 'participation')", name=op.f('ck_certificates_kind_known')),
        sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_certificates_attempt_id_attempts')),
        sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_certificates_round_id_rounds')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_certificates_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
        sa.UniqueConstraint('code', name=op.f('uq_certificates_code')),
        sa.UniqueConstraint('round_id', 'user_id', name=op.f('uq_certificates_round_id_user_id')),
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_user_id'))
    op.drop_table('certificates')
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.drop_column('certificate_logo')
        batch_op.drop_column('certificate_title')
        batch_op.drop_column('certificate_participants')
