"""Who issues a contest's documents

Five columns on ``contests`` for the printed summary and the certificates
(quizapp/contests/documents.py): the organising body and the body above it, the place written
before the date, the national heading (``state``: Quốc hiệu and Tiêu ngữ; ``party``: "ĐẢNG CỘNG
SẢN VIỆT NAM") and the signers. Existing contests get the state heading and no signers; their
organising body stays empty, which documents show as the installation's PRIVACY_CONTROLLER.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 23:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organising_body', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('parent_body', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('document_place', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('document_heading', sa.String(length=10), server_default='state',
                                      nullable=False))
        batch_op.add_column(sa.Column('signers', sa.JSON(), server_default='[]', nullable=False))


def downgrade():
    with op.batch_alter_table('contests', schema=None) as batch_op:
        batch_op.drop_column('signers')
        batch_op.drop_column('document_heading')
        batch_op.drop_column('document_place')
        batch_op.drop_column('parent_body')
        batch_op.drop_column('organising_body')
