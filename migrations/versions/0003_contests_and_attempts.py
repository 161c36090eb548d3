"""Contests, rounds, attempts and attempt items

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 12:28:46.397300

"""
import sqlalchemy as sa
from alembic import op

import quizapp.clock  # noqa: F401 - the project's column types

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('registration_fields', sa.JSON(), nullable=False),
    sa.Column('one_award_per_person', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_contests_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contests')),
    sa.UniqueConstraint('slug', name=op.f('uq_contests_slug'))
    )
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contests_owner_id'), ['owner_id'], unique=False)

    op.create_table('rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contest_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('opens_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closes_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('time_limit_seconds', sa.Integer(), nullable=True),
    sa.Column('max_attempts', sa.Integer(), nullable=True),
    sa.Column('counting_attempt', sa.String(length=8), nullable=False),
    sa.Column('draw', sa.JSON(), nullable=False),
    sa.Column('prediction_prompt', sa.Text(), nullable=True),
    sa.Column('prediction_truth', sa.String(length=32), nullable=True),
    sa.Column('prediction_locked', sa.Boolean(), nullable=False),
    sa.Column('tie_breakers', sa.JSON(), nullable=False),
    sa.Column('awards', sa.JSON(), nullable=False),
    sa.Column('review', sa.String(length=16), nullable=False),
    sa.Column('practice', sa.Boolean(), nullable=False),
    sa.CheckConstraint("counting_attempt IN ('best', 'first', 'last')", name=op.f('ck_rounds_counting_known')),
    sa.CheckConstraint("prediction_truth IS NULL OR prediction_truth IN ('participants', 'attempts', 'participants_all_correct')", name=op.f('ck_rounds_truth_known')),
    sa.CheckConstraint("review IN ('after_submit', 'score_only', 'after_close')", name=op.f('ck_rounds_review_known')),
    sa.CheckConstraint('closes_at > opens_at', name=op.f('ck_rounds_closes_after_opening')),
    sa.CheckConstraint('max_attempts IS NULL OR max_attempts > 0', name=op.f('ck_rounds_max_attempts_positive')),
    sa.CheckConstraint('time_limit_seconds IS NOT NULL OR practice', name=op.f('ck_rounds_only_practice_untimed')),
    sa.CheckConstraint('time_limit_seconds IS NULL OR time_limit_seconds > 0', name=op.f('ck_rounds_time_limit_positive')),
    sa.ForeignKeyConstraint(['contest_id'], ['contests.id'], name=op.f('fk_rounds_contest_id_contests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds')),
    sa.UniqueConstraint('contest_id', 'number', name=op.f('uq_rounds_contest_id_number'))
    )
    op.create_table('attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', quizapp.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deadline', quizapp.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', quizapp.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expired', sa.Boolean(), nullable=False),
    sa.Column('question_count', sa.Integer(), nullable=False),
    sa.Column('correct_count', sa.Integer(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.Column('prediction', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'submitted')", name=op.f('ck_attempts_status_known')),
    sa.CheckConstraint('number >= 1 AND (max_attempts IS NULL OR number <= max_attempts)', name=op.f('ck_attempts_within_limit')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_attempts_round_id_rounds')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attempts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempts')),
    sa.UniqueConstraint('round_id', 'user_id', 'number', name=op.f('uq_attempts_round_id_user_id_number'))
    )
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index('ix_attempts_round_status', ['round_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempts_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_attempts_one_open', ['round_id', 'user_id'], unique=True, sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))

    op.create_table('attempt_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('multiple', sa.Boolean(), nullable=False),
    sa.Column('option_count', sa.Integer(), nullable=False),
    sa.Column('option_ids', sa.JSON(), nullable=False),
    sa.Column('correct_key', sa.String(length=32), nullable=False),
    sa.Column('chosen', sa.String(length=32), nullable=True),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('answered_at', quizapp.clock.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_attempt_items_attempt_id_attempts')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_attempt_items_question_id_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_items')),
    sa.UniqueConstraint('attempt_id', 'position', name=op.f('uq_attempt_items_attempt_id_position')),
    sa.UniqueConstraint('attempt_id', 'question_id', name=op.f('uq_attempt_items_attempt_id_question_id'))
    )
    with op.batch_alter_table('attempt_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_items_question_id'), ['question_id'], unique=False)



def downgrade():
    with op.batch_alter_table('attempt_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_items_question_id'))

    op.drop_table('attempt_items')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index('uq_attempts_one_open', sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"))
        batch_op.drop_index(batch_op.f('ix_attempts_user_id'))
        batch_op.drop_index('ix_attempts_round_status')

    op.drop_table('attempts')
    op.drop_table('rounds')
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contests_owner_id'))

    op.drop_table('contests')
