"""Audit events found by index when a person's data is erased

Erasing a person (quizapp/privacy/erasure.py) finds the events that name them by target, by actor
and by ``subject_id`` (the account an event names in its data when its target is something else:
a contest's staff member, by phone), instead of reading every event. Existing staff events get
their subject from the phone they hold.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 20:30:00.000000

"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

STAFF_ACTIONS = ('contest.staff_added', 'contest.staff_removed')


def upgrade():
    with op.batch_alter_table('audit_events') as batch_op:
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_audit_events_target', ['target_type', 'target_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_subject_id'), ['subject_id'], unique=False)
    connection = op.get_bind()
    events = sa.table('audit_events', sa.column('id', sa.Integer), sa.column('action', sa.String),
                      sa.column('before', sa.JSON), sa.column('after', sa.JSON),
                      sa.column('subject_id', sa.Integer))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('phone', sa.String))
    rows = connection.execute(sa.select(events.c.id, events.c.before, events.c.after)
                              .where(events.c.action.in_(STAFF_ACTIONS))).all()
    for event_id, before, after in rows:
        data = {**_as_dict(before), **_as_dict(after)}
        user_id = connection.scalar(sa.select(users.c.id).where(users.c.phone == data.get('phone')))
        if user_id is not None:
            connection.execute(events.update().where(events.c.id == event_id).values(subject_id=user_id))


def _as_dict(value):
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else {}


def downgrade():
    with op.batch_alter_table('audit_events') as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_subject_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index('ix_audit_events_target')
        batch_op.drop_column('subject_id')
