"""Every model, imported in one place so Alembic and the shell see the whole schema."""

from quizapp.audit import AuditEvent
from quizapp.auth.models import OneTimeCode, User, UserSession
from quizapp.banks.models import Bank, Option, Question, QuestionVersion, Topic, UploadPreview
from quizapp.contests.models import Attempt, AttemptItem, Contest, ContestStaff, Round
from quizapp.flags.models import Flag
from quizapp.jobs.models import DailyRun, Job, JobChunk
from quizapp.judging.certificates.models import Certificate
from quizapp.judging.models import AwardOverride, KeyCorrection, RoundResult
from quizapp.privacy.models import Consent
from quizapp.units.models import Unit

__all__ = ["Attempt", "AttemptItem", "AuditEvent", "AwardOverride", "Bank", "Certificate", "Consent", "Contest",
           "ContestStaff", "DailyRun", "Flag", "Job", "JobChunk", "KeyCorrection", "OneTimeCode", "Option", "Question",
           "QuestionVersion", "Round", "RoundResult", "Topic", "Unit", "UploadPreview", "User", "UserSession"]
