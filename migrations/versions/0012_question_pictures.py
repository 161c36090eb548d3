"""Pictures in questions

``pictures`` holds each processed picture once (named by the SHA-256 of its bytes): the bytes
themselves, so every app server can serve them (DESIGN §7), with their type and size.
``questions.picture_id`` is the picture a question shows now; ``question_versions.picture_id``
the one each revision showed, so an attempt keeps the picture it drew after a replacement.
Existing questions and versions have none.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-17 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pictures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pictures')),
    sa.UniqueConstraint('sha256', name=op.f('uq_pictures_sha256'))
    )
    for table in ('questions', 'question_versions'):
        name = f'fk_{table}_picture_id_pictures'
        if op.get_bind().dialect.name == 'sqlite':
            # A plain ADD COLUMN with its named reference: batch mode would copy and drop
            # `questions`, which options and attempt items refer to (foreign keys are on).
            op.execute(f'ALTER TABLE {table} ADD COLUMN picture_id INTEGER CONSTRAINT {name} REFERENCES pictures (id)')
        else:
            op.add_column(table, sa.Column('picture_id', sa.Integer(), nullable=True))
            op.create_foreign_key(op.f(name), table, 'pictures', ['picture_id'], ['id'])


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        # SQLite drops the column by copying the table, and `questions` is referred to by options
        # and attempt items: the copy keeps every id, so the references hold again after it.
        op.execute('PRAGMA foreign_keys=OFF')
    for table in ('question_versions', 'questions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if not sqlite:  # the copy leaves the reference out with its column
                batch_op.drop_constraint(batch_op.f(f'fk_{table}_picture_id_pictures'), type_='foreignkey')
            batch_op.drop_column('picture_id')
    if sqlite:
        op.execute('PRAGMA foreign_keys=ON')
    op.drop_table('pictures')
