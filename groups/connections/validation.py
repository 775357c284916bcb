"""Graph's rules for external connection ids, members, ACL entries and item bodies, checked before any
write. Every refusal is ``Invalid`` (a Graph 400 in the API, a form error on the pages).

Accepted spellings (seed 001 and both API versions):
- members: v1.0's ``{"id", "type": "user" | "group" | "externalGroup"}`` and beta's / seed 001's
  ``{"id", "type": "user" | "group", "identitySource": "azureActiveDirectory" | "external"}`` (also
  "Azure Active Directory" / "External": case and spaces don't matter);
- ACL entries: ``type`` user, group, everyone, everyoneExceptGuests, externalGroup, or beta's ``group``
  with ``identitySource`` external; ``accessType`` grant or deny; for everyone and everyoneExceptGuests
  Graph sends the tenant's id as ``value``: any value is accepted there and none is kept.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.utils.html import strip_tags

from groups.connections.models import AccessType, AclType, ContentType
from portal.errors import Invalid

CONNECTION_ID = re.compile(r"[A-Za-z0-9]{3,32}")
EXTERNAL_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
RESERVED_CONNECTION_IDS = frozenset(
    name.lower()
    for name in [
        "None",
        "Directory",
        "Exchange",
        "ExchangeArchive",
        "LinkedIn",
        "Mailbox",
        "OneDriveBusiness",
        "SharePoint",
        "Teams",
        "Yammer",
        "Connectors",
        "TaskFabric",
        "PowerBI",
        "Assistant",
        "TopicEngine",
        "MSFT_All_Connectors",
    ]
)
MAX_ACL_ENTRIES = 1000
MAX_NAME = 128
AAD = "azureactivedirectory"
EXTERNAL = "external"


def connection_id(value: Any) -> str:
    if not isinstance(value, str) or not CONNECTION_ID.fullmatch(value):
        raise Invalid("A connection's id is 3 to 32 letters and digits.", field="id")
    if value.lower().startswith("microsoft") or value.lower() in RESERVED_CONNECTION_IDS:
        raise Invalid(f"'{value}' is reserved: choose another connection id.", field="id")
    return value


def external_id(value: Any, what: str = "An external group's id") -> str:
    if not isinstance(value, str) or not EXTERNAL_ID.fullmatch(value):
        raise Invalid(
            f"{what} is 1 to 128 characters of A-Z, a-z, 0-9, '-' and '_' (URL-safe base64).", field="id"
        )
    return value


def text(value: Any, field: str, *, max_length: int | None = None, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid(f"'{field}' must be {'a non-empty' if required else 'a'} string.", field=field)
    if max_length is not None and len(value) > max_length:
        raise Invalid(f"'{field}' is at most {max_length} characters.", field=field)
    return value


def object_id(value: Any, what: str) -> str:
    """A directory object id, lower-case: how ACL entries and members name users and groups."""
    try:
        if isinstance(value, str) and len(value) <= 64:
            return str(uuid.UUID(value))
    except ValueError:
        pass
    raise Invalid(f"{what} must be a directory object id (a GUID), not '{str(value)[:80]}'.")


def _source(body: dict[str, Any]) -> str | None:
    raw = body.get("identitySource")
    if raw is None:
        return None
    if not isinstance(raw, str) or raw.replace(" ", "").lower() not in (AAD, EXTERNAL):
        raise Invalid("'identitySource' is azureActiveDirectory or external.", field="identitySource")
    return raw.replace(" ", "").lower()


@dataclass(frozen=True)
class MemberRef:
    kind: str  # "user", "group" (directory) or "externalGroup"
    id: str  # a lower-case object id, or the external group's id


def member(body: Any) -> MemberRef:
    if not isinstance(body, dict):
        raise Invalid("A member is a JSON object with 'id' and 'type'.")
    kind, source = body.get("type"), _source(body)
    if kind == "group" and source == EXTERNAL:
        kind = "externalGroup"
    if kind not in ("user", "group", "externalGroup"):
        raise Invalid("A member's 'type' is user, group or externalGroup.", field="type")
    if (kind == "externalGroup" and source == AAD) or (kind == "user" and source == EXTERNAL):
        raise Invalid(f"A member of type {kind} can't come from identitySource {body['identitySource']}.")
    if kind == "externalGroup":
        return MemberRef(kind, external_id(body.get("id")))
    return MemberRef(kind, object_id(body.get("id"), f"A {kind} member's id"))


@dataclass(frozen=True)
class AclSpec:
    access_type: str
    type: str
    value: str
    identity_source: str


_ACL_TYPES = {t.value for t in AclType}


def acl_entry(body: Any, index: int) -> AclSpec:
    where = f"acl[{index}]"
    if not isinstance(body, dict):
        raise Invalid(f"{where} must be a JSON object with 'type', 'value' and 'accessType'.", field="acl")
    kind, source = body.get("type"), _source(body)
    if kind == "group" and source == EXTERNAL:
        kind = AclType.EXTERNAL_GROUP
    if kind not in _ACL_TYPES:
        raise Invalid(
            f"{where}: unknown type '{str(kind)[:40]}'; use user, group, everyone, everyoneExceptGuests or "
            "externalGroup.",
            field="acl",
        )
    access = body.get("accessType")
    if access not in (AccessType.GRANT, AccessType.DENY):
        raise Invalid(f"{where}: 'accessType' is grant or deny.", field="acl")
    value = body.get("value")
    if kind in (AclType.EVERYONE, AclType.EVERYONE_EXCEPT_GUESTS):
        value = ""
    elif kind == AclType.EXTERNAL_GROUP:
        value = external_id(value, f"{where}: an external group's id")
    else:
        value = object_id(value, f"{where}: a {kind}'s value")
    return AclSpec(str(access), str(kind), value, source or "")


def acl(value: Any) -> list[AclSpec]:
    if not isinstance(value, list) or not value:
        raise Invalid("An item needs 'acl': a non-empty list of access control entries.", field="acl")
    if len(value) > MAX_ACL_ENTRIES:
        raise Invalid(f"An item's ACL has at most {MAX_ACL_ENTRIES} entries.", field="acl")
    return [acl_entry(entry, i) for i, entry in enumerate(value)]


@dataclass(frozen=True)
class ItemSpec:
    acl: list[AclSpec]
    properties: dict[str, Any]
    content_type: str
    content_value: str

    @property
    def search_text(self) -> str:
        words = [str(v) for v in _flat(self.properties)]
        content = (
            strip_tags(self.content_value) if self.content_type == ContentType.HTML else self.content_value
        )
        return " ".join([*words, content]).lower()


def html_text(html: str) -> str:
    """The text of some HTML, words of neighbouring elements kept apart ("<h1>a</h1><p>b" → "a b")."""
    return " ".join(strip_tags(re.sub(r"<", " <", html)).split())


def _flat(value: Any):
    if isinstance(value, dict):
        for child in value.values():
            yield from _flat(child)
    elif isinstance(value, list):
        for child in value:
            yield from _flat(child)
    elif value is not None:
        yield value


def item(body: Any) -> ItemSpec:
    """An externalItem body: ``acl`` (required), ``properties`` (a JSON object), ``content``."""
    if not isinstance(body, dict) or "acl" not in body:
        raise Invalid("An item's body needs 'acl' (and usually 'properties' and 'content').", field="acl")
    properties = {} if body.get("properties") is None else body["properties"]
    if not isinstance(properties, dict):
        raise Invalid("'properties' must be a JSON object.", field="properties")
    content = {} if body.get("content") is None else body["content"]
    if not isinstance(content, dict):
        raise Invalid("'content' must be a JSON object with 'type' and 'value'.", field="content")
    content_type = content.get("type", ContentType.TEXT)
    if content_type not in (ContentType.TEXT, ContentType.HTML):
        raise Invalid("'content.type' is text or html.", field="content")
    value = text(content.get("value"), "content.value")
    return ItemSpec(acl(body["acl"]), properties, str(content_type), value)
