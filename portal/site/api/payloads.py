"""Request bodies → service arguments, with Graph's rules for which combinations are valid."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from groups.models import GroupKind, MembershipType, ProcessingState, Visibility
from groups.rules.ast import RuleSyntaxError
from groups.rules.parser import parse
from portal.directory import (
    USER_BOOLEAN_PROPERTIES,
    USER_DATETIME_PROPERTIES,
    USER_EXTENSION_ATTRIBUTES,
    USER_STRING_PROPERTIES,
)
from portal.models import User, UserType
from portal.moments import date_time_or_none
from portal.site.api.errors import bad_request

# Graph: mailNickname is ASCII without spaces and @()\[]";:<>, — 64 characters at most.
MAIL_NICKNAME_RE = re.compile(r"^[!#$%&'*+\-./0-9=?A-Z^_`a-z{|}~]{1,64}$")
GROUP_TYPES = ("Unified", "DynamicMembership")
GROUP_CREATE_PROPERTIES = frozenset(
    {
        "displayName",
        "description",
        "mailNickname",
        "mailEnabled",
        "securityEnabled",
        "groupTypes",
        "membershipRule",
        "membershipRuleProcessingState",
        "visibility",
        "isAssignableToRole",
        "classification",
        "members@odata.bind",
        "owners@odata.bind",
    }
)


def _rule_problem(text: str) -> str | None:
    """The rule language's verdict on a rule (what is wrong and where), or None when it accepts it."""
    try:
        parse(text)
    except RuleSyntaxError as exc:
        return str(exc)
    return None


def _string(body: dict[str, Any], prop: str, *, required: bool = False, limit: int = 256) -> str:
    value = body.get(prop)
    if value is None:
        if required:
            raise bad_request(f"The property '{prop}' is required.", code="Request_BadRequest")
        return ""
    if not isinstance(value, str):
        raise bad_request(f"The property '{prop}' must be a string.")
    if required and not value.strip():
        raise bad_request(f"The property '{prop}' can't be empty.", code="Request_BadRequest")
    if len(value) > limit:
        raise bad_request(f"The property '{prop}' is longer than {limit} characters.")
    return value.strip() if prop == "displayName" else value


def _bool(body: dict[str, Any], prop: str, *, required: bool = False) -> bool:
    value = body.get(prop)
    if value is None and not required:
        return False
    if not isinstance(value, bool):
        raise bad_request(f"The property '{prop}' must be true or false.", code="Request_BadRequest")
    return value


def _choice(body: dict[str, Any], prop: str, choices: list[str], default: str) -> str:
    value = body.get(prop)
    if value is None:
        return default
    for choice in choices:
        if isinstance(value, str) and value.lower() == choice.lower():
            return choice
    raise bad_request(f"The property '{prop}' must be one of {', '.join(choices)}, not {value!r}.")


def unknown_properties(body: dict[str, Any], allowed: frozenset[str]) -> None:
    for key in body:
        if key.startswith("@odata."):
            continue  # annotations such as the "@odata.type" SDKs send
        if key not in allowed:
            raise bad_request(f"Invalid property '{key}'.", code="Request_BadRequest")


def group_create_args(body: dict[str, Any]) -> dict[str, Any]:
    """A Graph group body → keyword arguments of ``groups.services.group_create``."""
    unknown_properties(body, GROUP_CREATE_PROPERTIES)
    display_name = _string(body, "displayName", required=True)
    mail_nickname = _mail_nickname(body)
    kind, group_types = _kind_and_types(body)
    dynamic = "DynamicMembership" in group_types
    rule = _membership_rule(body, dynamic=dynamic)
    return {
        "display_name": display_name,
        "mail_nickname": mail_nickname,
        "kind": kind,
        "membership_type": MembershipType.DYNAMIC if dynamic else MembershipType.ASSIGNED,
        "membership_rule": rule,
        "description": _string(body, "description", limit=1024),
        "visibility": _choice(body, "visibility", Visibility.values, Visibility.PUBLIC),
        "is_assignable_to_role": _bool(body, "isAssignableToRole"),
        "classification": _string(body, "classification", limit=64),
    }


def _mail_nickname(body: dict[str, Any]) -> str:
    mail_nickname = _string(body, "mailNickname", required=True, limit=64)
    if not MAIL_NICKNAME_RE.match(mail_nickname):
        raise bad_request(
            "The property 'mailNickname' may hold only ASCII letters, digits and !#$%&'*+-./=?^_`{|}~, "
            "no spaces, at most 64 characters.",
            code="Request_BadRequest",
        )
    return mail_nickname


def _kind_and_types(body: dict[str, Any]) -> tuple[str, list[str]]:
    """The kind of group that mailEnabled, securityEnabled and groupTypes describe, and the groupTypes."""
    mail_enabled = _bool(body, "mailEnabled", required=True)
    security_enabled = _bool(body, "securityEnabled", required=True)
    group_types = body.get("groupTypes") or []
    if not isinstance(group_types, list) or not all(isinstance(t, str) for t in group_types):
        raise bad_request("The property 'groupTypes' must be a list of strings.")
    unsupported = [t for t in group_types if t not in GROUP_TYPES]
    if unsupported:
        raise bad_request(
            f"Unsupported groupTypes value '{unsupported[0]}': use {' and/or '.join(GROUP_TYPES)}.",
            code="Request_BadRequest",
        )
    if "Unified" in group_types:
        if not mail_enabled:
            raise bad_request(
                "A Microsoft 365 group (groupTypes 'Unified') must be mail-enabled.", "Request_BadRequest"
            )
        return GroupKind.MICROSOFT_365, group_types
    if security_enabled and not mail_enabled:
        return GroupKind.SECURITY, group_types
    # As in Microsoft Graph: mail-enabled security groups and distribution lists aren't made here.
    raise bad_request(
        "Only security groups (mailEnabled false, securityEnabled true) and Microsoft 365 groups "
        "(groupTypes ['Unified']) can be created through the API; make mail-enabled security and "
        "distribution groups in the admin pages.",
        code="Request_BadRequest",
    )


def _membership_rule(body: dict[str, Any], *, dynamic: bool) -> str:
    """The rule of a new group: a valid one for a dynamic group, none otherwise; processing starts On."""
    rule = _string(body, "membershipRule", limit=3072)
    if dynamic and not rule.strip():
        raise bad_request("A dynamic group needs a membershipRule.", code="Request_BadRequest")
    if dynamic and (problem := _rule_problem(rule)):
        raise bad_request(f"Invalid membershipRule: {problem}", code="Request_BadRequest")
    if rule and not dynamic:
        raise bad_request(
            "membershipRule needs groupTypes to include 'DynamicMembership'.", code="Request_BadRequest"
        )
    state = _choice(body, "membershipRuleProcessingState", ProcessingState.values, ProcessingState.ON)
    if state != ProcessingState.ON:
        raise bad_request(
            "A new dynamic group starts with membershipRuleProcessingState 'On'; pause it afterwards.",
            code="Request_BadRequest",
        )
    return rule


# PATCH /groups/{id}: Graph property → groups.services.group_update argument.
GROUP_UPDATABLE = {
    "displayName": "display_name",
    "description": "description",
    "visibility": "visibility",
    "classification": "classification",
}
GROUP_READ_ONLY = frozenset(
    {
        "id",
        "createdDateTime",
        "mail",
        "mailEnabled",
        "securityEnabled",
        "groupTypes",
        "isAssignableToRole",
        "deletedDateTime",
        "onPremisesSyncEnabled",
        "expirationDateTime",
        "renewedDateTime",
    }
)


RULE_PROPERTIES = ("membershipRule", "membershipRuleProcessingState")


def group_changes(body: dict[str, Any]) -> dict[str, Any]:
    """A Graph group PATCH body → ``groups.services.group_update`` keyword arguments (the rule
    properties are read by ``rule_changes``)."""
    changes: dict[str, Any] = {}
    for prop in body:
        if prop.startswith("@odata.") or prop in RULE_PROPERTIES:
            continue
        if prop in GROUP_READ_ONLY:
            raise bad_request(
                f"The property '{prop}' can't be changed after the group is created.", "Request_BadRequest"
            )
        if prop not in GROUP_UPDATABLE:
            raise bad_request(
                f"The property '{prop}' can't be changed through the API (it can: "
                f"{', '.join(GROUP_UPDATABLE)}).",
                code="Request_BadRequest",
            )
    if "displayName" in body:
        changes["display_name"] = _string(body, "displayName", required=True)
    if "description" in body:
        changes["description"] = _string(body, "description", limit=1024)
    if "classification" in body:
        changes["classification"] = _string(body, "classification", limit=64)
    if "visibility" in body:
        changes["visibility"] = _choice(body, "visibility", Visibility.values, Visibility.PUBLIC)
    return changes


def rule_changes(body: dict[str, Any]) -> tuple[str | None, bool | None]:
    """(new membershipRule or None, paused True/False or None) of a group PATCH body."""
    rule = _string(body, "membershipRule", required=True, limit=3072) if "membershipRule" in body else None
    paused = None
    if "membershipRuleProcessingState" in body:
        state = _choice(body, "membershipRuleProcessingState", ProcessingState.values, ProcessingState.ON)
        paused = state == ProcessingState.PAUSED
    return rule, paused


def bound_references(body: dict[str, Any], prop: str) -> list[str]:
    """The URLs of ``members@odata.bind`` / ``owners@odata.bind`` (at most 20 each, as in Graph)."""
    value = body.get(prop)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"'{prop}' must be a list of directory object URLs.")
    if len(value) > 20:
        raise bad_request(f"'{prop}' may name at most 20 objects; add the rest with $ref.")
    return value


# --- users ---------------------------------------------------------------------------------------

# Graph's read-only user properties (proxyAddresses is read-only in v1.0), refused by name.
USER_READ_ONLY_PROPERTIES = frozenset(
    {"id", "userPrincipalName", "createdDateTime", "onPremisesSyncEnabled", "proxyAddresses"}
)


def _user_string(prop: str, attr: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{prop} must be a string or null.", code="Request_BadRequest")
    limit = User._meta.get_field(attr).max_length
    if value is not None and limit and len(value) > limit:
        raise bad_request(f"{prop} is longer than {limit} characters.", code="Request_BadRequest")
    if prop == "mail" and value:
        try:
            validate_email(value)
        except ValidationError:
            raise bad_request(f"mail: “{value}” isn't an email address.", code="Request_BadRequest") from None
    return value


def user_changes(body: dict[str, Any]) -> dict[str, Any]:
    """A Graph user PATCH body → ``portal.services.user_update`` changes (model field names)."""
    changes: dict[str, Any] = {}
    for prop, value in body.items():
        if prop.startswith("@odata."):
            continue
        if prop in USER_READ_ONLY_PROPERTIES:
            raise bad_request(f"{prop} is read-only.", code="Request_BadRequest")
        if prop == "businessPhones":
            if not isinstance(value, list) or len(value) > 1 or not all(isinstance(v, str) for v in value):
                raise bad_request(
                    "businessPhones must be a list of at most one phone number.", "Request_BadRequest"
                )
            changes["business_phone"] = _user_string(prop, "business_phone", value[0] if value else None)
        elif prop == "onPremisesExtensionAttributes":
            if not isinstance(value, dict):
                raise bad_request(
                    f"{prop} must be an object of extensionAttribute1..15.", "Request_BadRequest"
                )
            for name, item in value.items():
                if name not in USER_EXTENSION_ATTRIBUTES:
                    raise bad_request(f"{prop} has no attribute named {name}.", code="Request_BadRequest")
                attr = USER_STRING_PROPERTIES[name]
                changes[attr] = _user_string(f"{prop}/{name}", attr, item)
        elif prop in USER_STRING_PROPERTIES and prop not in USER_EXTENSION_ATTRIBUTES:
            changes[USER_STRING_PROPERTIES[prop]] = _user_string(prop, USER_STRING_PROPERTIES[prop], value)
        elif prop in USER_BOOLEAN_PROPERTIES:
            if not isinstance(value, bool):
                raise bad_request(f"{prop} must be true or false.", code="Request_BadRequest")
            changes[USER_BOOLEAN_PROPERTIES[prop]] = value
        elif prop == "userType":
            choice = next(
                (c for c in UserType.values if isinstance(value, str) and c.lower() == value.lower()), None
            )
            if choice is None:
                raise bad_request("userType must be Member or Guest.", code="Request_BadRequest")
            changes["user_type"] = choice
        elif prop in USER_DATETIME_PROPERTIES:
            moment = date_time_or_none(value) if isinstance(value, str) else None
            if value is not None and moment is None:
                raise bad_request(
                    f"{prop} must be a date-time such as 2024-01-31T00:00:00Z.", "Request_BadRequest"
                )
            changes[USER_DATETIME_PROPERTIES[prop]] = moment
        else:
            raise bad_request(
                f"{prop} isn't a property of users that can be changed here.", "Request_BadRequest"
            )
    return changes


# POST /users: what Graph requires (and says so when it is missing).
USER_CREATE_REQUIRED = ("accountEnabled", "displayName", "mailNickname", "userPrincipalName")
PASSWORD_REQUIRED = "A password must be specified to create a new user."


def user_create_args(body: dict[str, Any]) -> dict[str, Any]:
    """A Graph user POST body → ``portal.services.user_create`` arguments."""
    profile = body.get("passwordProfile")
    if profile is None:
        raise bad_request(PASSWORD_REQUIRED, code="Request_BadRequest")
    for prop in USER_CREATE_REQUIRED:
        if body.get(prop) in (None, ""):
            raise bad_request(
                f"Property {prop} value is required but is empty or missing.", "Request_BadRequest"
            )
    password = profile.get("password") if isinstance(profile, dict) else None
    if not isinstance(password, str) or not password:
        raise bad_request(PASSWORD_REQUIRED, code="Request_BadRequest")
    upn = body["userPrincipalName"]
    if not isinstance(upn, str):
        raise bad_request("userPrincipalName must be a string.", code="Request_BadRequest")
    collections = {}
    for name in ("otherMails",):
        if name in body:
            items = body[name]
            if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
                raise bad_request(f"{name} must be a list of strings.", code="Request_BadRequest")
            collections[name] = list(dict.fromkeys(items))
    rest = {k: v for k, v in body.items() if k not in ("userPrincipalName", "passwordProfile", "otherMails")}
    values = user_changes(rest)
    display_name = values.pop("display_name", None) or ""
    return {
        "user_principal_name": upn,
        "display_name": display_name,
        "password": password,
        "values": values,
        "collections": collections,
    }
