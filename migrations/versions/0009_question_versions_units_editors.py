"""Question versions for what attempts drew; who may edit the units directory

An attempt item now points at the revision of its question that it drew
(``question_versions``), so editing or deactivating a question changes future draws only
(DESIGN §3 rule 9). Every existing question gets revision 1, written from its current text,
options, explanation and source, and every existing attempt item points at it.

``users.can_edit_units``: the units directory is installation-wide; only admins and accounts
an admin grants this may load or edit it (DESIGN §7).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade():
    op.create_table('question_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('multiple', sa.Boolean(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=500), nullable=True),
    sa.Column('created_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_versions_question_id_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_versions')),
    sa.UniqueConstraint('question_id', 'revision', name=op.f('uq_question_versions_question_id_revision'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))
    _backfill_versions()
    with op.batch_alter_table('attempt_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_revision', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_foreign_key(
            batch_op.f('fk_attempt_items_question_id_question_versions'), 'question_versions',
            ['question_id', 'question_revision'], ['question_id', 'revision'])
    # Existing items drew revision 1; every new item names its revision itself.
    with op.batch_alter_table('attempt_items', schema=None) as batch_op:
        batch_op.alter_column('question_revision', server_default=None)
    # A plain ADD COLUMN (a default written as a string, not an expression), so SQLite need not
    # copy the users table, which every other table refers to.
    op.add_column('users', sa.Column('can_edit_units', sa.Boolean(), server_default='0', nullable=False))


def _backfill_versions():
    """Revision 1 of every question, as it reads now, in batches of questions."""
    connection = op.get_bind()
    questions = sa.table('questions', sa.column('id', sa.Integer), sa.column('text', sa.Text),
                         sa.column('multiple', sa.Boolean), sa.column('explanation', sa.Text),
                         sa.column('source', sa.String))
    options = sa.table('options', sa.column('id', sa.Integer), sa.column('question_id', sa.Integer),
                       sa.column('position', sa.Integer), sa.column('text', sa.String),
                       sa.column('is_correct', sa.Boolean))
    versions = sa.table('question_versions', sa.column('question_id', sa.Integer), sa.column('revision', sa.Integer),
                        sa.column('text', sa.Text), sa.column('multiple', sa.Boolean),
                        sa.column('options', sa.JSON), sa.column('explanation', sa.Text),
                        sa.column('source', sa.String), sa.column('created_at', quizapp.clock.UTCDateTime()))
    now = quizapp.clock.utcnow()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(questions).where(questions.c.id > last).order_by(questions.c.id).limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1].id
        by_question: dict[int, list[dict]] = {row.id: [] for row in rows}
        for option in connection.execute(
            sa.select(options).where(options.c.question_id.in_(list(by_question)))
            .order_by(options.c.question_id, options.c.position)
        ):
            by_question[option.question_id].append(
                {"id": option.id, "text": option.text, "correct": bool(option.is_correct)})
        connection.execute(versions.insert(), [
            {"question_id": row.id, "revision": 1, "text": row.text, "multiple": row.multiple,
             "options": by_question[row.id], "explanation": row.explanation, "source": row.source,
             "created_at": now}
            for row in rows
        ])


def downgrade():
    op.drop_column('users', 'can_edit_units')
    with op.batch_alter_table('attempt_items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attempt_items_question_id_question_versions'), type_='foreignkey')
        batch_op.drop_column('question_revision')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('revision')
    op.drop_table('question_versions')
