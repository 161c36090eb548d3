"""Every model, imported in one place so Alembic and the shell see the whole schema."""

from quizapp.auth.models import User
from quizapp.banks.models import Bank, Option, Question, Topic
from quizapp.contests.models import Attempt, AttemptItem, Contest, Round
from quizapp.units.models import Unit

__all__ = ["Attempt", "AttemptItem", "Bank", "Contest", "Option", "Question", "Round", "Topic", "Unit", "User"]
