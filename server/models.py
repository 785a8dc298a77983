"""Imports every domain's models so Alembic and the app see the whole schema in one metadata."""

from server.aid.models import AidProgram, AidReceipt
from server.analytics.models import (
    AidRule,
    AidRuleVersion,
    AnalyticsCell,
    AnalyticsFinding,
    AnalyticsRun,
    AnalyticsSnapshot,
)
from server.audit.models import AuditEntry
from server.auth.models import Device, RefreshToken, StaffSession, User, UserScope
from server.campaigns.models import Assignment, Campaign, Tombstone
from server.gis.models import MapFactVersion, MapHouseholdFacts
from server.history.models import RegistryChange
from server.households.models import Household, HouseholdAidStacking, Member
from server.imports.models import DataImport
from server.jobs.models import Job, JobWorker
from server.musyawarah.models import MusyawarahItem, MusyawarahRound
from server.photos.models import Photo
from server.regions.models import Region
from server.security.models import RateLimitCounter
from server.tokens.models import AccessToken
from server.visits.models import Visit, VisitReview

__all__ = [
    "AccessToken",
    "AidProgram",
    "AidReceipt",
    "AidRule",
    "AidRuleVersion",
    "AnalyticsCell",
    "AnalyticsFinding",
    "AnalyticsRun",
    "AnalyticsSnapshot",
    "Assignment",
    "AuditEntry",
    "Campaign",
    "DataImport",
    "Device",
    "Household",
    "HouseholdAidStacking",
    "Job",
    "JobWorker",
    "MapFactVersion",
    "MapHouseholdFacts",
    "Member",
    "MusyawarahItem",
    "MusyawarahRound",
    "Photo",
    "RateLimitCounter",
    "RefreshToken",
    "Region",
    "RegistryChange",
    "StaffSession",
    "Tombstone",
    "User",
    "UserScope",
    "Visit",
    "VisitReview",
]
