"""SQLModel tables, grouped by aggregate. Importing this package registers every table."""

from storage.models.customers import ChatIdentity, Customer, Interaction, LinkCode, StaffMember
from storage.models.loyalty import PointsEntry, Purchase, Redemption, Refund, Reward
from storage.models.operations import ApiKey, AuditLog, JobRun, ProcessedUpdate, RiskSnapshot
from storage.models.support import FollowUp, Ticket, WinbackOffer
from storage.models.surveys import SurveyCampaign, SurveyDispatch, SurveyResponse

__all__ = [
    "ApiKey",
    "AuditLog",
    "ChatIdentity",
    "Customer",
    "FollowUp",
    "Interaction",
    "JobRun",
    "LinkCode",
    "PointsEntry",
    "ProcessedUpdate",
    "Purchase",
    "Redemption",
    "Refund",
    "Reward",
    "RiskSnapshot",
    "StaffMember",
    "SurveyCampaign",
    "SurveyDispatch",
    "SurveyResponse",
    "Ticket",
    "WinbackOffer",
]
