"""Judges' key corrections per round

A judge who finds a wrong key on the item-analysis page corrects it for one unlocked round
(quizapp/judging/items.py); the round's attempts are scored again and this table keeps the key
the round now counts, so the round's answer key and summary show it.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 23:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock  # noqa: F401 - the project's column types

# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('key_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('option_ids', sa.JSON(), nullable=False),
    sa.Column('previous_option_ids', sa.JSON(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('corrected_by', sa.Integer(), nullable=True),
    sa.Column('corrected_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['corrected_by'], ['users.id'], name=op.f('fk_key_corrections_corrected_by_users')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_key_corrections_question_id_questions')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_key_corrections_round_id_rounds'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_corrections')),
    sa.UniqueConstraint('round_id', 'question_id', name=op.f('uq_key_corrections_round_id_question_id'))
    )


def downgrade():
    op.drop_table('key_corrections')
