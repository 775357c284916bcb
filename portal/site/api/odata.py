"""A useful subset of OData's ``$filter``, compiled to a Django ``Q``.

Supported: ``eq``, ``ne``, ``in``, ``startswith(prop,'x')``, ``endsWith(mail|userPrincipalName,'x')``
(an advanced query, as in Graph: ``ConsistencyLevel: eventual`` and ``$count=true``), ``and``, ``or``,
``not``, parentheses, ``ge``/``gt``/``le``/``lt`` on date-times, and lambdas over collections
(``groupTypes/any(c:c eq 'Unified')``, ``proxyAddresses/any(p:startswith(p,'smtp:'))``). String
comparisons ignore case, as Entra's do; so do property names. Anything else is refused with Graph's
400 Request_UnsupportedQuery naming what isn't supported; the tables below say which properties each
resource filters on.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Any

from django.db.models import Q

from groups.models import GroupKind, MembershipType, ProcessingState, Visibility
from portal.directory import (
    GROUP_BLANK_IS_NULL,
    GROUP_PROPERTIES,
    USER_EXTENSION_ATTRIBUTES,
    USER_LIST_VALUED_PROPERTIES,
    USER_STRING_PROPERTIES,
)
from portal.models import MultiValueAttribute, Source, UserMultiValue, UserType
from portal.site.api.errors import unsupported
from portal.site.api.filter_grammar import (
    MAX_FILTER_DEPTH,
    NO_MATCH,
    UNKNOWN_CHOICE,
    Collection,
    FilterCompiler,
    Prop,
)

__all__ = ["MAX_FILTER_DEPTH", "compile_filter"]


def _flag(q_true: Q) -> Callable[[str, Any, Any], Q]:
    def build(op: str, value: Any, tenant: Any) -> Q:
        if value is None:
            return NO_MATCH if op == "eq" else ~NO_MATCH
        match = q_true if value else ~q_true
        return match if op == "eq" else ~match

    return build


def _group_types(op: str, value: str) -> Q:
    wanted = value.lower()
    q = NO_MATCH
    for name, match in (
        ("unified", Q(kind=GroupKind.MICROSOFT_365)),
        ("dynamicmembership", Q(membership_type=MembershipType.DYNAMIC)),
    ):
        if name == wanted or (op == "startswith" and name.startswith(wanted)):
            q |= match
    return q


def _group_mail(op: str, value: Any, tenant: Any) -> Q:
    mail_enabled = ~Q(kind=GroupKind.SECURITY)
    if value is None:
        q = ~mail_enabled
    elif op == "endswith":
        return mail_enabled & _mail_ends_with(value.lower(), f"@{tenant.default_domain.lower()}")
    elif op == "startswith":
        local, at, domain = value.partition("@")
        if at and not tenant.default_domain.lower().startswith(domain.lower()):
            return NO_MATCH
        return mail_enabled & (Q(mail_nickname__iexact=local) if at else Q(mail_nickname__istartswith=local))
    else:
        local, _, domain = value.partition("@")
        q = mail_enabled & Q(mail_nickname__iexact=local)
        if domain.lower() != tenant.default_domain.lower():
            q = NO_MATCH
    return q if op == "eq" else ~q


def _processing_state(op: str, value: Any, tenant: Any) -> Q:
    dynamic = Q(membership_type=MembershipType.DYNAMIC)
    if value is None:
        q = ~dynamic
    elif value is UNKNOWN_CHOICE:
        q = NO_MATCH
    else:
        q = dynamic & Q(membership_rule_processing_state=value)
    return q if op == "eq" else ~q


def _mail_ends_with(suffix: str, at_domain: str) -> Q:
    """Groups whose mail (alias@domain) ends with ``suffix``."""
    if at_domain.endswith(suffix):
        return ~NO_MATCH
    if not suffix.endswith(at_domain):
        return NO_MATCH
    return Q(mail_nickname__iendswith=suffix[: -len(at_domain)])


def _user_values(attribute: str) -> Collection:
    def build(op: str, value: str) -> Q:
        lookup = "value__istartswith" if op == "startswith" else "value__iexact"
        items = UserMultiValue.objects.filter(attribute=attribute, **{lookup: value})
        return Q(pk__in=items.values("user_id"))

    return Collection(build)


GROUP_FILTERS: dict[str, Prop] = {
    "id": Prop("id", "uuid"),
    **{
        prop: Prop(field, "string", blank_is_null=prop in GROUP_BLANK_IS_NULL)
        for prop, field in GROUP_PROPERTIES.items()
        if prop in ("displayName", "description", "mailNickname", "classification", "membershipRule")
    },
    "visibility": Prop("visibility", "choice", choices=tuple(Visibility.values)),
    # Static groups have no processing state (Graph reads null), whatever the column holds.
    "membershipRuleProcessingState": Prop(
        kind="choice", choices=tuple(ProcessingState.values), build=_processing_state
    ),
    "isAssignableToRole": Prop("is_assignable_to_role", "bool"),
    "createdDateTime": Prop("created_date_time", "datetime"),
    "expirationDateTime": Prop("expiration_date_time", "datetime"),
    "mailEnabled": Prop(kind="bool", build=_flag(~Q(kind=GroupKind.SECURITY))),
    "securityEnabled": Prop(
        kind="bool", build=_flag(Q(kind__in=[GroupKind.SECURITY, GroupKind.MAIL_ENABLED_SECURITY]))
    ),
    "onPremisesSyncEnabled": Prop(kind="bool", build=_flag(Q(source=Source.SYNCED))),
    "mail": Prop(kind="string", build=_group_mail),
}
GROUP_COLLECTIONS: dict[str, Collection] = {"groupTypes": Collection(_group_types)}

USER_FILTERS: dict[str, Prop] = {
    "id": Prop("id", "uuid"),
    "userPrincipalName": Prop("user_principal_name"),
    **{
        prop: Prop(field)
        for prop, field in USER_STRING_PROPERTIES.items()
        if prop not in USER_EXTENSION_ATTRIBUTES and prop not in USER_LIST_VALUED_PROPERTIES
    },
    **{
        f"onPremisesExtensionAttributes/{prop}": Prop(USER_STRING_PROPERTIES[prop])
        for prop in USER_EXTENSION_ATTRIBUTES
    },
    "accountEnabled": Prop("account_enabled", "bool"),
    "userType": Prop("user_type", "choice", choices=tuple(UserType.values)),
    "createdDateTime": Prop("created_date_time", "datetime"),
    "employeeHireDate": Prop("employee_hire_date", "datetime"),
    "onPremisesSyncEnabled": Prop(kind="bool", build=_flag(Q(source=Source.SYNCED))),
}
USER_COLLECTIONS: dict[str, Collection] = {
    "otherMails": _user_values(MultiValueAttribute.OTHER_MAILS),
    "proxyAddresses": _user_values(MultiValueAttribute.PROXY_ADDRESSES),
    "businessPhones": Collection(
        lambda op, value: (
            Q(business_phone__istartswith=value) if op == "startswith" else Q(business_phone__iexact=value)
        )
    ),
}

RESOURCES: dict[str, tuple[str, dict[str, Prop], dict[str, Collection]]] = {
    "group": ("groups", GROUP_FILTERS, GROUP_COLLECTIONS),
    "user": ("users", USER_FILTERS, USER_COLLECTIONS),
}


def compile_filter(
    text: str, resource: str, tenant: Any, readable: Container[str] | None = None, advanced: bool = False
) -> Q:
    """``$filter`` text → ``Q`` over the resource's model; ApiError (400) when it can't be, 403 when it
    names a property outside ``readable`` (what the caller may read of other users)."""
    if resource not in RESOURCES:
        raise unsupported(f"$filter isn't supported on this collection of {resource} objects.")
    label, props, collections = RESOURCES[resource]
    return FilterCompiler(text, label, props, collections, tenant, readable, advanced).compile()
