"""One error family: every refusal a person can fix is a ``portal.errors.ServiceError``."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django import forms

import access_requests
import groups
import portal
from groups import dynamic
from groups.dynamic.recompute import WorkerLost
from groups.rules.ast import RuleSyntaxError
from groups.rules.regex import RegexError
from groups.services import NamingError
from portal.errors import Conflict, Invalid, NotFound, Refused, ServiceError, form_error
from portal.services import UserError
from portal.site.api.errors import ApiError
from portal.site.scim.protocol import ScimError

# Exception classes that are not refusals of a service, and why.
NOT_SERVICE_REFUSALS = {
    # The rule language is pure (no Django, no core import: an import-linter contract), so its parse
    # errors can't join the family; ``groups.dynamic.validate_rule`` turns them into ``RuleError``
    # (with the position) before any service lets one out.
    RuleSyntaxError: "the pure rule language's parse error",
    RegexError: "the pure rule language's pattern error, turned into RuleSyntaxError by the parser",
    # Never raised: the failure written into the task result a killed worker left "running".
    WorkerLost: "a lost recompute task's recorded failure",
}
SKIPPED_MODULES = ("portal.wsgi", "portal.asgi")  # they build an application as they import


def _modules(package) -> list:
    names = [package.__name__]
    names += [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    return [importlib.import_module(n) for n in names if n not in SKIPPED_MODULES]


def _exception_classes() -> list[type[BaseException]]:
    found = []
    for package in (portal, groups, access_requests):
        for module in _modules(package):
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ == module.__name__ and issubclass(cls, BaseException):
                    found.append(cls)
    return found


def test_it_finds_the_error_classes_of_every_app():
    names = {cls.__qualname__ for cls in _exception_classes()}
    assert {"ServiceError", "UserError", "RuleError", "NamingError", "SettingsError", "ApiError"} <= names


def test_every_error_class_of_the_apps_is_a_service_error():
    strays = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _exception_classes()
        if not issubclass(cls, ServiceError) and cls not in NOT_SERVICE_REFUSALS
    ]
    assert strays == []


def test_every_service_error_is_one_of_the_four_kinds():
    # ApiError is the API's own answer (token, payload, query option): it carries its status and code;
    # ScimError the same for SCIM.
    kinds = (Invalid, NotFound, Conflict, Refused, ApiError, ScimError)
    loose = [
        cls.__qualname__
        for cls in _exception_classes()
        if issubclass(cls, ServiceError) and cls is not ServiceError and not issubclass(cls, kinds)
    ]
    assert loose == []


def test_the_rule_languages_errors_leave_a_service_as_a_rule_error_with_the_position():
    with pytest.raises(dynamic.RuleError) as refused:
        dynamic.validate_rule('user.department -eq "x" -and', group_kind="Security")
    assert isinstance(refused.value, Invalid) and refused.value.position is not None


class _Form(forms.Form):
    display_name = forms.CharField()
    mail_nickname = forms.CharField()


def _bound() -> _Form:
    form = _Form({"display_name": "Sales", "mail_nickname": "sales"})
    assert form.is_valid()
    return form


def test_form_error_puts_a_refusal_under_the_field_it_names():
    form = _bound()
    form_error(form, UserError("A user needs a display name.", "display_name"))
    assert form.errors == {"display_name": ["A user needs a display name."]}


def test_form_error_puts_a_refusal_without_a_known_field_at_the_top():
    form = _bound()
    form_error(form, Conflict("This group is already deleted."))
    form_error(form, Invalid("Choose a manager.", field="manager"))  # not a field of this form
    assert form.non_field_errors() == ["This group is already deleted.", "Choose a manager."]


def test_form_error_shows_each_naming_policy_problem_under_its_field():
    form = _bound()
    form_error(form, NamingError({"display_name": ["Blocked: x.", "Too long."], "mail_nickname": ["Taken."]}))
    assert form.errors == {"display_name": ["Blocked: x.", "Too long."], "mail_nickname": ["Taken."]}
