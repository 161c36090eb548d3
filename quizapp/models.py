"""Every model, imported in one place so Alembic and the shell see the whole schema."""

from quizapp.auth.models import User
from quizapp.units.models import Unit

__all__ = ["Unit", "User"]
