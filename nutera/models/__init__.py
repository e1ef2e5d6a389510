"""Typed SQLAlchemy models, one module per area."""

from nutera.models.accounts import ROLES, RecoveryCode, ServerValue, User, volunteer_rt
from nutera.models.api import ApiClient, ApiToken, ChangeEvent, WebhookDelivery
from nutera.models.audit import AuditLog
from nutera.models.complaints import (
    COMPLAINT_CATEGORIES,
    COMPLAINT_STATUSES,
    Complaint,
    ComplaintNote,
    ComplaintPhoto,
)
from nutera.models.distribution import (
    PROXY_RELATIONS,
    DistributionEvent,
    DistributionRecipient,
    Handover,
    event_volunteer,
)
from nutera.models.eligibility import ProgramInfo, ProgramRule
from nutera.models.equity import EquitySnapshot, EquitySnapshotRow
from nutera.models.offline import OfflineBlob, OfflineSubmission
from nutera.models.people import (
    DISABILITIES,
    DISABILITY_SEVERITIES,
    FLOORS,
    HOUSE_OWNERSHIP,
    MATERNITY,
    PERSON_STATUSES,
    RELATIONS,
    RESIDENCES,
    ROOFS,
    SCHOOLING,
    SEXES,
    TOILETS,
    WALLS,
    WATER_SOURCES,
    Household,
    Person,
)
from nutera.models.programs import ENROLLMENT_STATUSES, TARGETS, AidProgram, Enrollment
from nutera.models.refresh import (
    CONFLICT_CHOICES,
    JOB_STATUSES,
    REFRESH_STATUSES,
    Refresh,
    RefreshChange,
    RefreshDecision,
    RefreshJob,
    RefreshLock,
    RefreshRow,
)
from nutera.models.region import Kelurahan, Rt, Rw
from nutera.models.surveys import (
    PRESENCES,
    SURVEY_STATUSES,
    Survey,
    SurveyMember,
    SurveyStatusEvent,
)
from nutera.models.volunteers import (
    APPLICATION_STATUSES,
    ApplicationStatus,
    VolunteerApplication,
    VolunteerPledge,
)
from nutera.models.work import (
    SURVEY_TASK_STATUSES,
    TARGETING_DECISIONS,
    TARGETING_KINDS,
    Setting,
    SurveyTask,
    TargetingCase,
)

__all__ = [
    "OfflineBlob",
    "OfflineSubmission",
    "ApiClient",
    "ApiToken",
    "ChangeEvent",
    "WebhookDelivery",
    "ROLES",
    "User",
    "RecoveryCode",
    "ServerValue",
    "volunteer_rt",
    "AuditLog",
    "PERSON_STATUSES",
    "RELATIONS",
    "SEXES",
    "Household",
    "Person",
    "ENROLLMENT_STATUSES",
    "TARGETS",
    "AidProgram",
    "Enrollment",
    "Kelurahan",
    "Rt",
    "Rw",
    "DISABILITIES",
    "FLOORS",
    "HOUSE_OWNERSHIP",
    "RESIDENCES",
    "ROOFS",
    "TOILETS",
    "WALLS",
    "WATER_SOURCES",
    "SURVEY_TASK_STATUSES",
    "TARGETING_DECISIONS",
    "TARGETING_KINDS",
    "Setting",
    "SurveyTask",
    "TargetingCase",
    "PRESENCES",
    "SURVEY_STATUSES",
    "Survey",
    "SurveyMember",
    "SurveyStatusEvent",
    "ProgramInfo",
    "ProgramRule",
    "CONFLICT_CHOICES",
    "JOB_STATUSES",
    "REFRESH_STATUSES",
    "Refresh",
    "RefreshChange",
    "RefreshDecision",
    "RefreshJob",
    "RefreshLock",
    "RefreshRow",
    "COMPLAINT_CATEGORIES",
    "COMPLAINT_STATUSES",
    "Complaint",
    "ComplaintNote",
    "ComplaintPhoto",
    "PROXY_RELATIONS",
    "DistributionEvent",
    "DistributionRecipient",
    "Handover",
    "event_volunteer",
    "APPLICATION_STATUSES",
    "ApplicationStatus",
    "VolunteerApplication",
    "VolunteerPledge",
    "DISABILITY_SEVERITIES",
    "MATERNITY",
    "SCHOOLING",
    "EquitySnapshot",
    "EquitySnapshotRow",
]

# Typed statuses and kinds (StrEnum: members equal the stored strings).
from nutera.models.accounts import Role  # noqa: E402
from nutera.models.complaints import OPEN_STATUSES, ComplaintCategory, ComplaintStatus  # noqa: E402
from nutera.models.people import PersonStatus, Residence  # noqa: E402
from nutera.models.programs import ENROLLED, EnrollmentStatus, Target  # noqa: E402
from nutera.models.surveys import EDITABLE, SENT, SurveyStatus  # noqa: E402
from nutera.models.work import TargetingDecision, TargetingKind, TaskStatus  # noqa: E402

__all__ += [
    "Role",
    "OPEN_STATUSES",
    "ComplaintCategory",
    "ComplaintStatus",
    "PersonStatus",
    "Residence",
    "ENROLLED",
    "EnrollmentStatus",
    "Target",
    "EDITABLE",
    "SENT",
    "SurveyStatus",
    "TargetingDecision",
    "TargetingKind",
    "TaskStatus",
]
