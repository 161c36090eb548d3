"""ID numbers (CCCD) encrypted at rest: ``users.id_number`` holds a Fernet token, and
``users.has_id_number`` says whether one was given without decrypting it.

Every existing number is encrypted here with the first key of ``QUIZAPP_ID_NUMBER_KEYS`` (or the
key generated in the instance folder outside production: quizapp/privacy/idnumbers.py). On
SQLite the old plain values stay in the file's free pages until ``VACUUM`` (README, "Upgrading");
on PostgreSQL until vacuum reclaims the dead row versions.

Downgrading decrypts them back into a 12-character column.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

from quizapp.privacy import idnumbers

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    _retype(lambda batch_op: (
        batch_op.alter_column('id_number', existing_type=sa.String(length=12), type_=sa.Text(), existing_nullable=True),
        batch_op.add_column(sa.Column('has_id_number', sa.Boolean(), server_default='0', nullable=False))))
    cipher = idnumbers.cipher()
    idnumbers.reseal_rows(op.get_bind(), lambda plain: cipher.seal(plain.strip()) if plain.strip() else None)


def downgrade():
    def narrow(batch_op):
        batch_op.drop_column('has_id_number')
        batch_op.alter_column('id_number', existing_type=sa.Text(), type_=sa.String(length=12), existing_nullable=True)

    cipher = idnumbers.cipher()
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite keeps a token in the narrowed column (it checks no length), then decrypts it.
        _retype(narrow)
        idnumbers.reseal_rows(op.get_bind(), cipher.open, indicator=False)
    else:
        idnumbers.reseal_rows(op.get_bind(), cipher.open, indicator=False)
        _retype(narrow)


def _retype(change):
    """``change`` the users table; SQLite does it by copying the table, which contests, attempts
    and sessions refer to: the copy keeps every id, so the references hold again after it."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        op.execute('PRAGMA foreign_keys=OFF')
    with op.batch_alter_table('users', schema=None) as batch_op:
        change(batch_op)
    if sqlite:
        op.execute('PRAGMA foreign_keys=ON')
