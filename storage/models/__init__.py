"""SQLModel tables, grouped by aggregate. Importing this package registers every table."""

from storage.models.customers import ChatIdentity, Customer, Interaction, LinkCode, StaffMember
from storage.models.loyalty import PointsEntry, Purchase, Redemption, Reward
from storage.models.operations import AuditLog, JobRun, ProcessedUpdate, RiskSnapshot
from storage.models.outbox import OutboxMessage
from storage.models.support import FollowUp, Ticket, WinbackOffer
from storage.models.surveys import SurveyCampaign, SurveyDispatch, SurveyResponse

__all__ = [
    "AuditLog",
    "ChatIdentity",
    "Customer",
    "FollowUp",
    "Interaction",
    "JobRun",
    "LinkCode",
    "OutboxMessage",
    "PointsEntry",
    "ProcessedUpdate",
    "Purchase",
    "Redemption",
    "Reward",
    "RiskSnapshot",
    "StaffMember",
    "SurveyCampaign",
    "SurveyDispatch",
    "SurveyResponse",
    "Ticket",
    "WinbackOffer",
]
