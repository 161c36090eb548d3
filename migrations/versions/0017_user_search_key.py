"""Accounts searchable without diacritics: ``users.search_key``

The account's name folded (``quizapp.text.fold``: lowercase, no tones or marks, "đ" as "d"),
so an admin's "tran van binh" finds "Trần Văn Bình" among 200,000 accounts. Every existing
account's key is written from its name here; the app keeps it from then on.

On PostgreSQL the key has a trigram index (the ``pg_trgm`` extension, shipped with PostgreSQL
and trusted since version 13: the database's owner may create it), which answers a search for a
piece of a name anywhere in it; on SQLite a plain index, which the search scans instead of the
table.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-22 09:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

from quizapp.text import fold

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    # A plain ADD COLUMN (a constant default), so SQLite need not copy the users table.
    op.add_column('users', sa.Column('search_key', sa.String(length=120), server_default='', nullable=False))
    _backfill_search_keys()
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_index('ix_users_search_key', 'users', ['search_key'], unique=False,
                    postgresql_using='gin', postgresql_ops={'search_key': 'gin_trgm_ops'})


def _backfill_search_keys():
    """Every account's key from its name, in batches of accounts."""
    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('full_name', sa.String),
                     sa.column('search_key', sa.String))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(users.c.id, users.c.full_name).where(users.c.id > last).order_by(users.c.id).limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1].id
        connection.execute(
            users.update().where(users.c.id == sa.bindparam('user_id')).values(search_key=sa.bindparam('key')),
            [{'user_id': row.id, 'key': fold(row.full_name)[:120]} for row in rows])


def downgrade():
    op.drop_index('ix_users_search_key', table_name='users')
    # The extension stays: other databases' objects, or an administrator, may use it.
    op.drop_column('users', 'search_key')
