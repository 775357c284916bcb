"""SCIM Users ↔ directory users: the representation, and a payload's values as ``user_create`` /
``user_update`` changes (model field names).

One table of the attributes we keep (``USER_ATTRIBUTES``): the Schemas endpoint announces exactly these,
the filter compiler reads them, and ``user_values`` writes them. A SCIM resource's ``id`` is the
directory object id that Graph and the pages use.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from scim2_models import (
    Address,
    Email,
    EnterpriseUser,
    Manager,
    Meta,
    Name,
    PhoneNumber,
)

from portal.directory import UPN_RE
from portal.models import User
from portal.services.users import VERBATIM_NAME_RE
from portal.site.scim.protocol import PREFIX, ScimError, ScimUser, invalid_value

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# SCIM attribute path → User field, for the single-valued attributes filters and writes use.
# (caseExact: RFC 7643 makes id and externalId case-exact, the others case-insensitive.)
USER_ATTRIBUTES: dict[str, str] = {
    "userName": "user_principal_name",
    "externalId": "external_id",
    "displayName": "display_name",
    "name.givenName": "given_name",
    "name.familyName": "surname",
    "title": "job_title",
    "userType": "employee_type",
    "preferredLanguage": "preferred_language",
    "active": "account_enabled",
    "emails.value": "mail",
    "emails": "mail",
    "phoneNumbers.value": "business_phone",
    "addresses.locality": "city",
    "addresses.region": "state",
    "addresses.country": "country",
    "addresses.postalCode": "postal_code",
    "addresses.streetAddress": "street_address",
    f"{ENTERPRISE}:employeeNumber": "employee_id",
    f"{ENTERPRISE}:department": "department",
    f"{ENTERPRISE}:organization": "company_name",
    f"{ENTERPRISE}:division": "division",
    f"{ENTERPRISE}:costCenter": "cost_center",
    f"{ENTERPRISE}:manager.value": "manager_id",
    f"{ENTERPRISE}:manager": "manager_id",
    "meta.created": "created_date_time",
}
CASE_EXACT = {"externalId"}
PHONE_FIELDS = {"work": "business_phone", "mobile": "mobile_phone", "fax": "fax_number"}
ADDRESS_FIELDS = {
    "street_address": "street_address",
    "locality": "city",
    "region": "state",
    "postal_code": "postal_code",
    "country": "country",
}
# The fields a SCIM representation covers: a PUT that leaves one out clears it.
WRITTEN_FIELDS = (
    "external_id", "display_name", "given_name", "surname", "job_title", "employee_type",
    "preferred_language", "account_enabled", "mail", "business_phone", "mobile_phone", "fax_number",
    "street_address", "city", "state", "postal_code", "country", "employee_id", "department",
    "company_name", "division", "cost_center", "manager",
)  # fmt: skip


def location(kind: str, object_id: Any) -> str:
    return f"{PREFIX}{kind}/{object_id}"


def user_resource(user: User) -> ScimUser:
    """The SCIM representation of a directory user (``manager`` loaded with it)."""
    phones = [
        PhoneNumber(value=getattr(user, f), type=None if t == "work" else t)
        for t, f in PHONE_FIELDS.items()
        if getattr(user, f)
    ]
    address = {scim: getattr(user, field) for scim, field in ADDRESS_FIELDS.items() if getattr(user, field)}
    given, family = user.given_name, user.surname
    resource = ScimUser(
        id=str(user.pk),
        external_id=user.external_id or None,
        user_name=user.user_principal_name,
        name=Name(given_name=given or None, family_name=family or None) if given or family else None,
        display_name=user.display_name,
        title=user.job_title or None,
        user_type=user.employee_type or None,
        preferred_language=user.preferred_language or None,
        active=user.account_enabled,
        emails=[Email.model_construct(value=user.mail)] if user.mail else None,  # stored as is
        phone_numbers=phones or None,
        addresses=[Address(**address)] if address else None,
        meta=Meta(
            resource_type="User",
            created=user.created_date_time,
            last_modified=user.created_date_time,
            location=location("Users", user.pk),
        ),
    )
    enterprise = EnterpriseUser(
        schemas=[ENTERPRISE],
        employee_number=user.employee_id or None,
        department=user.department or None,
        organization=user.company_name or None,
        division=user.division or None,
        cost_center=user.cost_center or None,
        manager=Manager(value=str(user.manager_id), ref=location("Users", user.manager_id))
        if user.manager_id
        else None,
    )
    if any(v is not None for v in enterprise.model_dump(scim_ctx=None, exclude={"schemas"}).values()):
        resource[EnterpriseUser] = enterprise
    return resource


def _chosen(items: list | None, kind: str | None = None) -> Any:
    """The primary item, else the first of ``kind``, else the first (Entra sends type work, Okta primary)."""
    if not items:
        return None
    return (
        next((i for i in items if i.primary), None)
        or next((i for i in items if kind and str(getattr(i, "type", "") or "") == kind), None)
        or items[0]
    )


def user_name(resource: ScimUser) -> str:
    name = (resource.user_name or "").strip()
    if not name:
        raise ScimError(400, "userName is required.", "invalidValue")
    if not (UPN_RE.match(name) or ("@" not in name and VERBATIM_NAME_RE.match(name))) or len(name) > 256:
        raise invalid_value(f"userName “{name[:80]}” must be a sign-in name: alias@domain, or one word.")
    return name


def _display_name(resource: ScimUser) -> str:
    if resource.display_name and resource.display_name.strip():
        return resource.display_name.strip()
    name = resource.name
    if name and (name.formatted or name.given_name or name.family_name):
        return name.formatted or " ".join(p for p in (name.given_name, name.family_name) if p)
    return (resource.user_name or "").split("@", 1)[0]


def user_values(resource: ScimUser, tenant: Any) -> dict[str, Any]:
    """Every field a SCIM representation covers, from ``resource`` (None: absent, cleared)."""
    name = resource.name
    enterprise = resource[EnterpriseUser] or EnterpriseUser()
    email = _chosen(resource.emails, "work")
    address = _chosen(resource.addresses, "work")
    phones: dict[str, str] = {}
    for phone in resource.phone_numbers or []:  # mobile and fax have fields; any other type is the work phone
        kind = str(phone.type) if phone.type and str(phone.type) in ("mobile", "fax") else "work"
        if phone.value:
            phones.setdefault(kind, phone.value)
    values: dict[str, Any] = {
        "external_id": resource.external_id,
        "display_name": _display_name(resource),
        "given_name": name.given_name if name else None,
        "surname": name.family_name if name else None,
        "job_title": resource.title,
        "employee_type": resource.user_type,
        "preferred_language": resource.preferred_language,
        "account_enabled": True if resource.active is None else bool(resource.active),
        "mail": email.value if email else None,
        **{field: phones.get(kind) for kind, field in PHONE_FIELDS.items()},
        **{field: getattr(address, scim) if address else None for scim, field in ADDRESS_FIELDS.items()},
        "employee_id": enterprise.employee_number,
        "department": enterprise.department,
        "company_name": enterprise.organization,
        "division": enterprise.division,
        "cost_center": enterprise.cost_center,
        "manager": _manager(enterprise, tenant),
    }
    _check(values)
    return values


def _manager(enterprise: EnterpriseUser, tenant: Any) -> User | None:
    reference = enterprise.manager
    if reference is None or not reference.value:
        return None
    manager = users_of(tenant).filter(pk=parse_id(reference.value)).first()
    if manager is None:
        raise invalid_value(f"The manager “{reference.value[:80]}” is not a user here.")
    return manager


def _check(values: dict[str, Any]) -> None:
    """Lengths and formats the directory keeps: an ``invalidValue`` naming the attribute, never a 500."""
    for field_name, value in values.items():
        if not isinstance(value, str):
            continue
        limit = User._meta.get_field(field_name).max_length
        if limit and len(value) > limit:
            raise invalid_value(f"{_scim_name(field_name)} is longer than {limit} characters.")
    if values.get("mail"):
        try:
            validate_email(values["mail"])
        except ValidationError:
            raise invalid_value(f"emails: “{values['mail'][:80]}” is not an email address.") from None


def _scim_name(field_name: str) -> str:
    for path, name in USER_ATTRIBUTES.items():
        if name == field_name:
            return path.rsplit(":", 1)[-1]
    return {"mobile_phone": "phoneNumbers", "fax_number": "phoneNumbers"}.get(field_name, field_name)


def current_values(user: User) -> dict[str, Any]:
    return {field: getattr(user, field) for field in WRITTEN_FIELDS}


def changes_between(user: User, wanted: dict[str, Any]) -> dict[str, Any]:
    """What ``user_update`` must change so the user holds ``wanted`` (blank and None are the same)."""
    have = current_values(user)
    changes = {}
    for field_name, value in wanted.items():
        before = have[field_name]
        if field_name == "manager":
            if (before.pk if before else None) != (value.pk if value else None):
                changes[field_name] = value
        elif (before if before != "" else None) != (value if value != "" else None):
            changes[field_name] = value
    return changes


def parse_id(value: str) -> str | None:
    """A directory id from a SCIM id, or None (it can match nothing)."""
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, AttributeError):
        return None


def users_of(tenant: Any):
    """The users SCIM sees: the tenant's, not deleted."""
    return User.objects.for_tenant(tenant).filter(deleted_date_time__isnull=True)


def _manager_reference(value: Any) -> Any:
    """Entra sends the manager as a bare id (PATCH) or without ``$ref``: the models want the reference."""
    if isinstance(value, str):
        value = {"value": value}
    if isinstance(value, dict) and value.get("value") and not value.get("$ref"):
        value = {**value, "$ref": location("Users", value["value"])}
    return value


def with_manager_references(body: dict[str, Any]) -> dict[str, Any]:
    """A Users body (resource or PatchOp) with every manager written as a complex reference."""
    enterprise = body.get(ENTERPRISE)
    if isinstance(enterprise, dict) and "manager" in enterprise:
        enterprise["manager"] = _manager_reference(enterprise["manager"])
    for operation in body.get("Operations") or []:
        if not isinstance(operation, dict):
            continue
        path = str(operation.get("path") or "").lower()
        if path.endswith(":manager") or path == "manager":
            operation["value"] = _manager_reference(operation.get("value"))
    return body
