"""Background jobs and their output files

``jobs`` holds each background job (a judge's download of a national round): what it runs, for
which resource, where it is, and ``job_chunks`` its output file in 1 MiB pieces. They live in the
database, not on one host's disk (DESIGN §7), so any app server serves a file any worker made.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 15:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('keep', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('mimetype', sa.String(length=100), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', quizapp.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', quizapp.clock.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_jobs_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_jobs_key_status', ['key', 'status'], unique=False)

    op.create_table('job_chunks',
    sa.Column('job_id', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_chunks_job_id_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'seq', name=op.f('pk_job_chunks'))
    )


def downgrade():
    op.drop_table('job_chunks')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_key_status')
        batch_op.drop_index(batch_op.f('ix_jobs_created_at'))

    op.drop_table('jobs')
