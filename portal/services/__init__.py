"""State changes of tenants, directory users and roles: authorize → change → audit,
in one transaction. One module per area; the names are re-exported here so callers import
``portal.services``."""

from __future__ import annotations

from portal.services.imports import (
    UPN_RE,
    ImportError_,
    ImportReport,
    ParsedRow,
    parse_users_csv,
    users_import,
)
from portal.services.roles import (
    custom_role_create,
    custom_role_delete,
    custom_role_snapshot,
    custom_role_update,
    role_assignment_create,
    role_assignment_delete,
    role_assignment_snapshot,
    role_name,
)
from portal.services.signins import (
    UnknownUser,
    sign_in_record,
    sign_in_throttled_record,
)
from portal.services.tenants import (
    SYSTEM,
    tenant_create,
)
from portal.services.users import (
    OFFBOARD_ACTIVITY,
    RESTORE_ACTIVITY,
    RESTORE_WINDOW_DAYS,
    USER_CREATE_FIELDS,
    OffboardReport,
    RestoreReport,
    UserError,
    on_device_attributes_changed,
    on_user_attributes_changed,
    user_create,
    user_delete,
    user_restore,
    user_snapshot,
    user_update,
)

__all__ = [
    "SYSTEM",
    "tenant_create",
    "user_snapshot",
    "on_user_attributes_changed",
    "on_device_attributes_changed",
    "OFFBOARD_ACTIVITY",
    "RESTORE_ACTIVITY",
    "RESTORE_WINDOW_DAYS",
    "UserError",
    "OffboardReport",
    "RestoreReport",
    "user_update",
    "user_create",
    "USER_CREATE_FIELDS",
    "user_delete",
    "user_restore",
    "UPN_RE",
    "ImportError_",
    "ParsedRow",
    "parse_users_csv",
    "ImportReport",
    "users_import",
    "custom_role_snapshot",
    "custom_role_create",
    "custom_role_update",
    "custom_role_delete",
    "role_name",
    "role_assignment_snapshot",
    "role_assignment_create",
    "role_assignment_delete",
    "UnknownUser",
    "sign_in_record",
    "sign_in_throttled_record",
]
