"""Contest staff: organisers and judges per contest

Every contest's owner becomes its first organiser. Judges were not assigned before this
revision (every judge saw every contest); they must be added to the contests they judge.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:21:51.842780

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock  # noqa: F401 - the project's column types

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contest_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('organiser', 'judge')", name=op.f('ck_contest_staff_role_known')),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_contest_staff_added_by_id_users')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_contest_staff_contest_id_contests')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contest_staff_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contest_staff')),
    sa.UniqueConstraint('contest_id', 'user_id', 'role', name=op.f('uq_contest_staff_contest_id_user_id_role'))
    )
    with op.batch_alter_table('contest_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contest_staff_user_id'), ['user_id'], unique=False)
    op.execute(
        "INSERT INTO contest_staff (contest_id, user_id, role, added_by_id, created_at) "
        "SELECT id, owner_id, 'organiser', owner_id, created_at FROM contests WHERE owner_id IS NOT NULL"
    )



def downgrade():
    with op.batch_alter_table('contest_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contest_staff_user_id'))

    op.drop_table('contest_staff')
