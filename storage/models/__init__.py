"""SQLModel tables, grouped by aggregate. Importing this package registers every table."""

from storage.models.customers import ChatIdentity, Customer, Interaction, LinkCode, StaffMember
from storage.models.loyalty import Coupon, PointsEntry, Purchase, Redemption, Refund, Reward
from storage.models.operations import ApiKey, AuditLog, JobRun, ProcessedUpdate, RiskSnapshot
from storage.models.outbox import OutboxMessage
from storage.models.privacy import DigestMention, SlackErasure, Suppression, SuppressionKey
from storage.models.support import FaqReply, FollowUp, Ticket, WinbackOffer
from storage.models.surveys import SurveyCampaign, SurveyDispatch, SurveyResponse

__all__ = [
    "ApiKey",
    "AuditLog",
    "ChatIdentity",
    "Coupon",
    "Customer",
    "DigestMention",
    "FaqReply",
    "FollowUp",
    "Interaction",
    "JobRun",
    "LinkCode",
    "OutboxMessage",
    "PointsEntry",
    "ProcessedUpdate",
    "Purchase",
    "Redemption",
    "Refund",
    "Reward",
    "RiskSnapshot",
    "SlackErasure",
    "StaffMember",
    "Suppression",
    "SuppressionKey",
    "SurveyCampaign",
    "SurveyDispatch",
    "SurveyResponse",
    "Ticket",
    "WinbackOffer",
]
