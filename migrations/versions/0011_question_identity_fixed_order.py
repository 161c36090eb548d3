"""Question identity is stem and options; options whose order is kept

``questions.text_hash`` was a hash of the question's text alone, so two real questions sharing
a stem ("Nhận định nào sau đây là đúng?") could not both be in a bank. It is now a hash of the
normalised stem and the set of normalised options (``banks.formats.common.question_hash``),
recomputed here for every existing question, in batches. Should the finer normalisation (no
space before "?") make two existing questions of one bank identical, the later one keeps a
hash of its own (its id is hashed in) and is named in the log: nothing is deleted.

``questions.fixed_order`` and ``question_versions.fixed_order``: options shown in the bank's
order, never shuffled (an option names others: "Tất cả các ý trên"). Existing questions whose
options name others (``banks.formats.order``, as an import now decides) get it, on the question
and on its current revision; attempts already drawn keep the order they stored.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-17 09:00:00.000000

"""
import hashlib
import logging
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

import quizapp.clock  # noqa: F401 - the project's column types

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

BATCH = 2000
log = logging.getLogger("alembic.runtime.migration")

# A frozen copy of quizapp.text.clean_text and banks.formats.common.question_hash as they are
# at this revision: a later change to the application must not change what this migration wrote.
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SPACE_BEFORE_MARK = re.compile(r"\s+([?:!;,.])")


def _identity_text(text):
    if not text:
        return ""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", text))
    return _SPACE_BEFORE_MARK.sub(r"\1", _SPACE.sub(" ", text).strip().casefold())


def question_hash(text, options):
    parts = [_identity_text(text), *sorted(_identity_text(option) for option in options)]
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()


def text_hash(text):
    """The hash before this revision, for the downgrade."""
    return hashlib.sha256(_SPACE.sub(" ", _CONTROL.sub(" ", unicodedata.normalize("NFC", text or ""))).strip()
                          .casefold().encode("utf-8")).hexdigest()


_questions = sa.table('questions', sa.column('id', sa.Integer), sa.column('bank_id', sa.Integer),
                      sa.column('text', sa.Text), sa.column('text_hash', sa.String))
_options = sa.table('options', sa.column('question_id', sa.Integer), sa.column('position', sa.Integer),
                    sa.column('text', sa.String))


def upgrade():
    # Plain ADD COLUMNs with a constant default, so SQLite need not copy the tables.
    op.add_column('questions', sa.Column('fixed_order', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('question_versions',
                  sa.Column('fixed_order', sa.Boolean(), server_default=sa.false(), nullable=False))
    # The patterns are the application's: what an import decides today is what existing banks get.
    from quizapp.banks.formats.order import option_naming_others

    seen, fixed = set(), []

    def identity(row, options):
        value = question_hash(row.text, options)
        if (row.bank_id, value) in seen:
            log.warning("question %s is now identical to an earlier question of bank %s; kept apart",
                        row.id, row.bank_id)
            value = hashlib.sha256(f"{row.id}\x1e{value}".encode()).hexdigest()
        seen.add((row.bank_id, value))
        if option_naming_others(options) is not None:
            fixed.append(row.id)
        return value

    _rehash(identity)
    _keep_order(fixed)
    log.info("0011: %s questions keep their option order", len(fixed))


def _keep_order(question_ids):
    questions = sa.table('questions', sa.column('id', sa.Integer), sa.column('revision', sa.Integer),
                         sa.column('fixed_order', sa.Boolean))
    versions = sa.table('question_versions', sa.column('question_id', sa.Integer),
                        sa.column('revision', sa.Integer), sa.column('fixed_order', sa.Boolean))
    connection = op.get_bind()
    for start in range(0, len(question_ids), BATCH):
        batch = question_ids[start:start + BATCH]
        connection.execute(questions.update().where(questions.c.id.in_(batch)).values(fixed_order=True))
        current = (sa.select(questions.c.revision).where(questions.c.id == versions.c.question_id)
                   .scalar_subquery())
        connection.execute(versions.update().where(versions.c.question_id.in_(batch),
                                                   versions.c.revision == current).values(fixed_order=True))


def downgrade():
    # Two questions sharing a stem cannot both keep a text-only hash: the later keeps its id in it.
    seen = set()

    def identity(row, _options):
        value = text_hash(row.text)
        if (row.bank_id, value) in seen:
            value = hashlib.sha256(f"{row.id}\x1e{value}".encode()).hexdigest()
        seen.add((row.bank_id, value))
        return value

    _rehash(identity)
    op.drop_column('question_versions', 'fixed_order')
    op.drop_column('questions', 'fixed_order')


def _rehash(identity):
    """Write ``identity(row, option texts)`` into every question's text_hash, in batches.

    The hashes written and the ones they replace are hashes of different strings (the new ones
    join their parts with a separator no stored text holds), so no batch can meet the unique
    (bank_id, text_hash) constraint half-way through.
    """
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(
            sa.select(_questions.c.id, _questions.c.bank_id, _questions.c.text)
            .where(_questions.c.id > last).order_by(_questions.c.id).limit(BATCH)).all()
        if not rows:
            return
        last = rows[-1].id
        options = {row.id: [] for row in rows}
        for option in connection.execute(
            sa.select(_options.c.question_id, _options.c.text)
            .where(_options.c.question_id.in_(list(options))).order_by(_options.c.question_id, _options.c.position)
        ):
            options[option.question_id].append(option.text)
        connection.execute(
            _questions.update().where(_questions.c.id == sa.bindparam('question_id'))
            .values(text_hash=sa.bindparam('new_hash')),
            [{"question_id": row.id, "new_hash": identity(row, options[row.id])} for row in rows])
