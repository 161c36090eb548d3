"""Upload previews in the database

``upload_previews`` holds each bank file an organiser has previewed and not yet confirmed (and
its answer key file), with its owner and combined size. They were kept under one server's
``instance/uploads``, where a confirmation reaching another server behind the load balancer
could not find them (DESIGN §7). Previews on disk at upgrade time are not carried over: whoever
confirms one is asked to upload it again, and the old folder may be deleted.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-18 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('upload_previews',
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('created_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('filename', sa.Text(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('key_filename', sa.Text(), nullable=True),
    sa.Column('key_data', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_upload_previews_owner_id_users')),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_upload_previews'))
    )
    with op.batch_alter_table('upload_previews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_previews_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('upload_previews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upload_previews_created_at'))

    op.drop_table('upload_previews')
