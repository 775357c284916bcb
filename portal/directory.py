"""Graph property names of directory objects and how they map to model fields.

One table, used by import_users, the user pages, the JSON API and the rule engine, so a property has
one name everywhere.
"""

from __future__ import annotations

import re

# A userPrincipalName: alias@domain (Entra's character set; ``#`` and ``_`` for guests'
# ``name_domain#EXT#`` names).
UPN_RE = re.compile(r"^[A-Za-z0-9._%+'#_-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")

# User.extension_attribute_1 … _15 (portal.models). This module imports nothing but ``re``, so the rule language
# (groups.rules, pure Python) can read its names.
EXTENSION_ATTRIBUTE_COUNT = 15

# Graph property → User field, for the single-valued string properties.
USER_STRING_PROPERTIES: dict[str, str] = {
    "displayName": "display_name",
    "givenName": "given_name",
    "surname": "surname",
    "mail": "mail",
    "mailNickname": "mail_nickname",
    "department": "department",
    "jobTitle": "job_title",
    "companyName": "company_name",
    "country": "country",
    "city": "city",
    "state": "state",
    "streetAddress": "street_address",
    "postalCode": "postal_code",
    "officeLocation": "office_location",
    "usageLocation": "usage_location",
    "preferredLanguage": "preferred_language",
    "employeeId": "employee_id",
    "employeeType": "employee_type",
    "mobilePhone": "mobile_phone",
    "businessPhones": "business_phone",
    "faxNumber": "fax_number",
    "passwordPolicies": "password_policies",
    "onPremisesDistinguishedName": "on_premises_distinguished_name",
    "onPremisesSecurityIdentifier": "on_premises_security_identifier",
    **{f"extensionAttribute{i}": f"extension_attribute_{i}" for i in range(1, EXTENSION_ATTRIBUTE_COUNT + 1)},
}
USER_BOOLEAN_PROPERTIES: dict[str, str] = {"accountEnabled": "account_enabled"}
USER_DATETIME_PROPERTIES: dict[str, str] = {"employeeHireDate": "employee_hire_date"}
USER_CHOICE_PROPERTIES: dict[str, str] = {"userType": "user_type", "source": "source"}
USER_COLLECTION_PROPERTIES: tuple[str, ...] = ("otherMails", "proxyAddresses")

# Other names the rule language and Entra's CSV templates use for the same attributes.
USER_PROPERTY_ALIASES: dict[str, str] = {
    "physicalDeliveryOfficeName": "officeLocation",
    "mobile": "mobilePhone",
    "telephoneNumber": "businessPhones",
    "facsimileTelephoneNumber": "faxNumber",
}

# The dynamic rule language's names for user string attributes (groups.rules): Graph's names, except
# the four Graph spells differently (the rule language uses the aliases above), plus three of its own.
RULE_USER_STRING_PROPERTIES: dict[str, str] = {
    **{
        name: attr
        for name, attr in USER_STRING_PROPERTIES.items()
        if name not in USER_PROPERTY_ALIASES.values()
    },
    **{alias: USER_STRING_PROPERTIES[graph] for alias, graph in USER_PROPERTY_ALIASES.items()},
    "userPrincipalName": "user_principal_name",
    "userType": "user_type",
    "sipProxyAddress": "sip_proxy_address",
}

USER_EDITABLE_FIELDS: tuple[str, ...] = (
    *USER_STRING_PROPERTIES.values(),
    *USER_BOOLEAN_PROPERTIES.values(),
    *USER_DATETIME_PROPERTIES.values(),
    "user_type",
    "manager",
)

DEVICE_PROPERTIES: dict[str, str] = {
    "displayName": "display_name",
    "accountEnabled": "account_enabled",
    "deviceId": "device_id",
    "deviceOSType": "operating_system",
    "deviceOSVersion": "operating_system_version",
    "deviceCategory": "device_category",
    "deviceManufacturer": "manufacturer",
    "deviceModel": "model",
    "deviceOwnership": "device_ownership",
    "enrollmentProfileName": "enrollment_profile_name",
    "isRooted": "is_rooted",
    "managementType": "management_type",
}
DEVICE_BOOLEAN_PROPERTIES: tuple[str, ...] = ("accountEnabled", "isRooted")
DEVICE_COLLECTION_PROPERTIES: tuple[str, ...] = ("devicePhysicalIds", "systemLabels")

# --- Groups, and the Graph resources the JSON API answers with --------------------------------------

# Graph property → Group field, for the properties stored as Graph names them.
GROUP_PROPERTIES: dict[str, str] = {
    "displayName": "display_name",
    "description": "description",
    "mailNickname": "mail_nickname",
    "visibility": "visibility",
    "classification": "classification",
    "membershipRule": "membership_rule",
    "membershipRuleProcessingState": "membership_rule_processing_state",
    "isAssignableToRole": "is_assignable_to_role",
    "createdDateTime": "created_date_time",
    "expirationDateTime": "expiration_date_time",
    "renewedDateTime": "renewed_date_time",
    "deletedDateTime": "deleted_date_time",
}
# Derived from kind, membership type, source and the tenant's domain (groups.models.Group): never stored.
GROUP_DERIVED_PROPERTIES: tuple[str, ...] = (
    "mail",
    "mailEnabled",
    "securityEnabled",
    "groupTypes",
    "onPremisesSyncEnabled",
)
# Stored as "" when empty; Graph says null.
GROUP_BLANK_IS_NULL: tuple[str, ...] = ("description", "classification", "membershipRule")

# Graph's user resource differs from the flat table above in two places: businessPhones is a
# collection (we keep one number), and extensionAttribute1..15 sit inside onPremisesExtensionAttributes.
USER_LIST_VALUED_PROPERTIES: tuple[str, ...] = ("businessPhones",)
USER_EXTENSION_ATTRIBUTES: tuple[str, ...] = tuple(
    f"extensionAttribute{i}" for i in range(1, EXTENSION_ATTRIBUTE_COUNT + 1)
)

# Graph's device resource (DEVICE_PROPERTIES above are the rule language's names for the same fields).
DEVICE_GRAPH_PROPERTIES: dict[str, str] = {
    "displayName": "display_name",
    "accountEnabled": "account_enabled",
    "deviceId": "device_id",
    "operatingSystem": "operating_system",
    "operatingSystemVersion": "operating_system_version",
    "deviceCategory": "device_category",
    "manufacturer": "manufacturer",
    "model": "model",
    "deviceOwnership": "device_ownership",
    "enrollmentProfileName": "enrollment_profile_name",
    "isRooted": "is_rooted",
    "managementType": "management_type",
    "registrationDateTime": "created_date_time",
}
SERVICE_PRINCIPAL_PROPERTIES: dict[str, str] = {
    "displayName": "display_name",
    "appId": "app_id",
    "accountEnabled": "account_enabled",
}

# --- which Graph properties changed (dynamic membership re-evaluates only the rules that read them) ---

# Model field → Graph property name. Every field a rule can read has its name here (groups.rules.reads).
USER_GRAPH_NAME_OF_FIELD: dict[str, str] = {
    **{attr: name for name, attr in USER_STRING_PROPERTIES.items()},
    **{attr: name for name, attr in USER_BOOLEAN_PROPERTIES.items()},
    **{attr: name for name, attr in USER_DATETIME_PROPERTIES.items()},
    **{attr: name for name, attr in USER_CHOICE_PROPERTIES.items()},
    "id": "id",
    "user_principal_name": "userPrincipalName",
    "sip_proxy_address": "sipProxyAddress",
    "manager": "manager",
    "manager_id": "manager",
}
DEVICE_GRAPH_NAME_OF_FIELD: dict[str, str] = {
    **{attr: name for name, attr in DEVICE_GRAPH_PROPERTIES.items()},
    "id": "id",
}


def changed_graph_names(fields, *, device: bool = False) -> set[str] | None:
    """The Graph names of changed model fields, or None ("unknown: anything may have changed") when a
    field has no Graph name here."""
    table = DEVICE_GRAPH_NAME_OF_FIELD if device else USER_GRAPH_NAME_OF_FIELD
    names = set()
    for field in fields:
        if field not in table:
            return None
        names.add(table[field])
    return names
