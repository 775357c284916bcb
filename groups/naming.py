"""The group naming policy: a prefix and suffix around the name people type, and blocked words.

The tenant's ``prefix_suffix_naming_requirement`` reads like ``GRP_[Department]_[GroupName]_[CountryOrRegion]``:
fixed text and attribute tokens, filled from the creator's directory attributes, around ``[GroupName]``.
It applies to the display name and the alias (mailNickname) of groups that non-administrators create or
rename; administrators are exempt (``portal.authz.NAMING_POLICY_EXEMPT``). Blocked words are checked,
whole-word and case-insensitively, against what the person typed, not against the prefix and suffix.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from portal.authz import NAMING_POLICY_EXEMPT, can, group_settings_for

if TYPE_CHECKING:
    from portal.models import TenantGroupSettings, User

GROUP_NAME_TOKEN = "[GroupName]"
# Token → User field, as Entra's naming policy names them.
ATTRIBUTE_TOKENS: dict[str, str] = {
    "[Department]": "department",
    "[Company]": "company_name",
    "[Office]": "office_location",
    "[StateOrProvince]": "state",
    "[CountryOrRegion]": "country",
    "[Title]": "job_title",
}
MAX_DISPLAY_NAME = 256
MAX_MAIL_NICKNAME = 64
MAX_BLOCKED_WORDS = 5000
# What an alias may hold: a conservative subset of what Exchange accepts, so it is valid everywhere.
ALIAS_ALLOWED = re.compile(r"^[A-Za-z0-9._-]+$")
_ALIAS_STRIP = re.compile(r"[^A-Za-z0-9._-]+")
_TOKEN = re.compile(r"\[[A-Za-z]+\]")
_ANY_TOKEN = re.compile(r"\[[^\[\]]*\]")
KNOWN_TOKENS = (GROUP_NAME_TOKEN, *ATTRIBUTE_TOKENS)


@dataclass(frozen=True)
class NamingPolicy:
    requirement: str = ""
    blocked_words: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: TenantGroupSettings | None) -> NamingPolicy:
        if settings is None:
            return cls()
        return cls(settings.prefix_suffix_naming_requirement.strip(), tuple(settings.blocked_words))

    @property
    def is_empty(self) -> bool:
        return not self.requirement and not self.blocked_words

    def _parts(self) -> tuple[str, str]:
        if not self.requirement:
            return "", ""
        if GROUP_NAME_TOKEN in self.requirement:
            prefix, _, suffix = self.requirement.partition(GROUP_NAME_TOKEN)
            return prefix, suffix
        return self.requirement, ""  # no [GroupName]: the whole requirement is a prefix

    def affixes(self, user: User | None, *, for_alias: bool = False) -> tuple[str, str]:
        """The prefix and suffix with the user's attributes filled in."""
        prefix, suffix = self._parts()
        return fill_tokens(prefix, user, for_alias=for_alias), fill_tokens(suffix, user, for_alias=for_alias)

    def apply(self, name: str, user: User | None) -> str:
        prefix, suffix = self.affixes(user)
        return f"{prefix}{name}{suffix}"

    def apply_alias(self, alias: str, user: User | None) -> str:
        prefix, suffix = self.affixes(user, for_alias=True)
        return f"{prefix}{alias}{suffix}"

    def strip(self, name: str, user: User | None) -> str:
        """The part of ``name`` the person typed, when it carries this user's prefix and suffix."""
        prefix, suffix = self.affixes(user)
        if (prefix or suffix) and name.startswith(prefix) and name.endswith(suffix):
            inner = name[len(prefix) : len(name) - len(suffix)]
            if inner:
                return inner
        return name

    def blocked_in(self, text: str) -> list[str]:
        return find_blocked_words(text, self.blocked_words)


def fill_tokens(text: str, user: User | None, *, for_alias: bool = False) -> str:
    """Replace attribute tokens by the user's values (empty when the attribute is empty)."""

    def value(match: re.Match) -> str:
        token = match.group(0)
        attribute = ATTRIBUTE_TOKENS.get(token)
        if attribute is None:
            return token  # not an attribute token: kept as typed by the administrator
        raw = (getattr(user, attribute, None) or "") if user is not None else ""
        return to_alias(raw) if for_alias else raw

    result = _TOKEN.sub(value, text)
    return to_alias(result) if for_alias else result


def to_alias(text: str) -> str:
    """ASCII alias characters only: accents folded (é → e), spaces to hyphens, the rest dropped."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _ALIAS_STRIP.sub("", folded.replace(" ", "-"))


@lru_cache(maxsize=64)
def _blocked_matcher(words: tuple[str, ...]) -> tuple[frozenset[str], re.Pattern | None]:
    """Single words go in a set (a lookup per word of the name); phrases in one regex."""
    singles = frozenset(w.casefold() for w in words if re.fullmatch(r"\w+", w))
    phrases = [w for w in words if not re.fullmatch(r"\w+", w)]
    if not phrases:
        return singles, None
    alternation = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
    return singles, re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)


def find_blocked_words(text: str, blocked: tuple[str, ...] | list[str]) -> list[str]:
    """The blocked words that appear as whole words in ``text`` (case-insensitive), in blocked-list order."""
    if not blocked or not text:
        return []
    words = tuple(blocked)
    singles, phrases = _blocked_matcher(words)
    present = {w.casefold() for w in re.findall(r"\w+", text)} & singles
    hits = {m.group(0).casefold() for m in phrases.finditer(text)} if phrases else set()
    found = present | hits
    # One report per word, however often it is listed ("Secret" and "secret") or appears.
    reported: dict[str, str] = {}
    for word in words:
        if word.casefold() in found:
            reported.setdefault(word.casefold(), word)
    return list(reported.values())


def parse_blocked_words(raw: str) -> list[str]:
    """Blocked words from the settings text (one per line or comma-separated); at most 5,000."""
    words = [w.strip() for w in raw.replace("\n", ",").split(",") if w.strip()]
    if len(words) > MAX_BLOCKED_WORDS:
        raise ValueError(f"At most {MAX_BLOCKED_WORDS:,} blocked words, not {len(words):,}.")
    return words


@dataclass
class NamingResult:
    display_name: str
    mail_nickname: str
    errors: dict[str, list[str]] = field(default_factory=dict)
    policy_applied: bool = False
    alias_derived: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, field_name: str, message: str) -> None:
        self.errors.setdefault(field_name, []).append(message)


def resolve_names(
    *,
    policy: NamingPolicy,
    user: User | None,
    display_name: str,
    mail_nickname: str,
    exempt: bool,
    rename: bool = False,
) -> NamingResult:
    """The final display name and alias of a group, and what is wrong with them.

    ``rename``: only the display name is new (the alias of an existing group doesn't change).
    """
    display_name = display_name.strip()
    mail_nickname = mail_nickname.strip()
    applies = not exempt and not policy.is_empty
    derived = not rename and not mail_nickname
    if derived:
        # No alias typed: one is made from the name, short enough to fit with the policy's affixes.
        prefix, suffix = policy.affixes(user, for_alias=True) if applies else ("", "")
        room = max(1, MAX_MAIL_NICKNAME - len(prefix) - len(suffix))
        mail_nickname = (to_alias(display_name) or "group")[:room]
    result = NamingResult(
        display_name=policy.apply(display_name, user) if applies else display_name,
        mail_nickname=policy.apply_alias(mail_nickname, user) if applies and not rename else mail_nickname,
        policy_applied=applies,
        alias_derived=derived,
    )
    if not display_name:
        result.add("display_name", "Enter a name.")
    if applies:
        for word_field, typed in (("display_name", display_name), ("mail_nickname", mail_nickname)):
            if (rename or derived) and word_field == "mail_nickname":
                continue
            blocked = policy.blocked_in(typed)
            if blocked:
                listed = ", ".join(f"“{w}”" for w in blocked)
                result.add(word_field, f"Your organization blocks {listed} in group names.")
    if len(result.display_name) > MAX_DISPLAY_NAME:
        result.add(
            "display_name",
            f"The final name is {len(result.display_name)} characters long; the limit is {MAX_DISPLAY_NAME}.",
        )
    if not rename and mail_nickname:
        if not ALIAS_ALLOWED.match(mail_nickname):
            result.add(
                "mail_nickname",
                "Use only unaccented letters, digits, dots, hyphens and underscores in the alias.",
            )
        if len(result.mail_nickname) > MAX_MAIL_NICKNAME:
            result.add(
                "mail_nickname",
                f"The final alias is {len(result.mail_nickname)} characters long; the limit is {MAX_MAIL_NICKNAME}.",
            )
    return result


def policy_for(actor: User) -> tuple[NamingPolicy, bool]:
    """The actor's tenant's policy and whether the actor is exempt from it."""
    return NamingPolicy.from_settings(group_settings_for(actor.tenant)), can(actor, NAMING_POLICY_EXEMPT)


def apply_naming_policy(*, pattern: str, name: str, user: User | None) -> str:
    """``name`` under the requirement ``pattern`` for ``user`` (the settings page's preview)."""
    return NamingPolicy(pattern.strip()).apply(name, user)


def unknown_tokens_error(pattern: str) -> str | None:
    """Why a naming requirement names a token the policy doesn't know (``[Dept]``), or None."""
    unknown = list(dict.fromkeys(t for t in _ANY_TOKEN.findall(pattern) if t not in KNOWN_TOKENS))
    if not unknown:
        return None
    listed = ", ".join(unknown)
    known = ", ".join(KNOWN_TOKENS[:-1]) + " or " + KNOWN_TOKENS[-1]
    noun = "isn't a token" if len(unknown) == 1 else "aren't tokens"
    return f"{listed} {noun} of the naming policy. Use {known} (spelled as shown)."
