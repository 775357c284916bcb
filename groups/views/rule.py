"""The dynamic rule tab: editor with live validation, builder, processing status, pause/resume, the
failsafe's held changes, "Validate rules" for picked users or devices, and "Why am I (not) in it?"."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from groups import dynamic, selectors
from groups.dynamic.subjects import subject_for
from groups.models import ProcessingState, ProcessingStatus, RuleChangeHold
from groups.rules import MAX_RULE_LENGTH, RuleSyntaxError, explain, parse
from groups.rules.printer import quote
from groups.selectors import get_group_for
from groups.views.common import render_tab
from portal.authz import can
from portal.errors import ServiceError
from portal.models import Device, User

RULE_ACTION = "dynamicMembershipRule/update"
BUILDER_ROWS = 5
BUILDER_PROPERTIES = [
    "department", "jobTitle", "country", "city", "companyName", "userType", "employeeType", "mail",
    "userPrincipalName", "displayName", "physicalDeliveryOfficeName", "usageLocation", "extensionAttribute1",
]  # fmt: skip
BUILDER_DEVICE_PROPERTIES = [
    "displayName", "deviceOSType", "deviceOSVersion", "deviceManufacturer", "deviceModel", "deviceOwnership",
    "deviceCategory", "enrollmentProfileName", "managementType",
]  # fmt: skip
BUILDER_OPERATORS = [
    ("eq", "Equals"), ("ne", "Not equals"), ("startsWith", "Starts with"), ("notStartsWith", "Not starts with"),
    ("endsWith", "Ends with"), ("contains", "Contains"), ("notContains", "Not contains"), ("match", "Match"),
    ("notMatch", "Not match"), ("in", "In (comma-separated)"), ("notIn", "Not in (comma-separated)"),
]  # fmt: skip
MAX_CHECKED = 50
PREVIEW_SAMPLE = 20  # names the preview lists (as groups.dynamic.preview does)


class RuleForm(forms.Form):
    rule = forms.CharField(
        label="Rule syntax",
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "rule-text"}),
        max_length=MAX_RULE_LENGTH,
        strip=True,
    )


def _builder_form_class(device: bool) -> type[forms.Form]:
    props = BUILDER_DEVICE_PROPERTIES if device else BUILDER_PROPERTIES
    fields: dict[str, forms.Field] = {
        "join": forms.ChoiceField(label="Combine with", choices=[("and", "And"), ("or", "Or")], initial="and")
    }
    for i in range(BUILDER_ROWS):
        fields[f"property_{i}"] = forms.ChoiceField(
            label=f"Property {i + 1}", choices=[("", "—")] + [(p, p) for p in props], required=False
        )
        fields[f"operator_{i}"] = forms.ChoiceField(
            label=f"Operator {i + 1}", choices=BUILDER_OPERATORS, required=False
        )
        fields[f"value_{i}"] = forms.CharField(label=f"Value {i + 1}", required=False, max_length=256)
    fields["rows"] = property(
        lambda form: [
            (form[f"property_{i}"], form[f"operator_{i}"], form[f"value_{i}"]) for i in range(BUILDER_ROWS)
        ]
    )
    return type("BuilderForm", (forms.Form,), fields)


def build_rule(data: dict, *, device: bool) -> str:
    """The rule text of up to five builder rows (rows without a property are skipped)."""
    prefix = "device" if device else "user"
    clauses = []
    for i in range(BUILDER_ROWS):
        prop, op, value = (
            data.get(f"property_{i}"),
            data.get(f"operator_{i}") or "eq",
            data.get(f"value_{i}", ""),
        )
        if not prop:
            continue
        if op in ("in", "notIn"):
            items = [v.strip() for v in value.split(",") if v.strip()]
            text = "[" + ", ".join(quote(v) for v in items) + "]"
        else:
            text = quote(value)
        clauses.append(f"{prefix}.{prop} -{op} {text}")
    joiner = " -or " if data.get("join") == "or" else " -and "
    return joiner.join(clauses)


def _settled_preview(group, rule) -> dynamic.Preview:
    """The preview of the saved rule of a group its rule has finished computing: the rule's matches
    are the group's members (kept so by every write), so the stored count and the first members by
    name say it, with nobody to join or leave. No evaluation of the rule over the whole directory."""
    sample = [m.member for m in selectors.DirectMemberPages(group)[0:PREVIEW_SAMPLE]]
    return dynamic.Preview(rule, group.member_count, sample, [], [], 0, 0)


def _validation(actor, group, text: str) -> dict:
    """What the editor shows under the text box: the error with its position, or the preview (never of
    a rule naming a group whose members ``actor`` can't read)."""
    if not text.strip():
        return {"empty": True}
    try:
        rule = dynamic.validate_rule(text, group_kind=group.kind)
        dynamic.refuse_unreadable_groups(actor, rule, group.tenant)
    except dynamic.RuleError as exc:
        pos = exc.position if exc.position is not None else 0
        return {
            "error": str(exc),
            "before": text[:pos],
            "at": text[pos : pos + 1] or " ",
            "after": text[pos + 1 :],
        }
    settled = (
        text == group.membership_rule
        and group.processing_status == ProcessingStatus.SUCCEEDED
        and group.membership_rule_processing_state != ProcessingState.PAUSED
    )
    shown = _settled_preview(group, rule) if settled else dynamic.preview(group, rule)
    return {"preview": shown, "device": rule.kind == "device"}


def _explanations(actor, group, names: list[str]) -> tuple[list[dict], list[str]]:
    """Per picked user/device: member yes/no and the true/false of every clause (none when the rule
    names a group whose members ``actor`` can't read: the refusal is shown as the rule's validation)."""
    try:
        rule = parse(group.membership_rule)
        dynamic.refuse_unreadable_groups(actor, rule, group.tenant)
    except (RuleSyntaxError, dynamic.RuleError):
        return [], []
    model, key = (Device, "display_name") if rule.kind == "device" else (User, "user_principal_name")
    lookup = {n.lower(): n for n in names}
    found = {
        getattr(o, key).lower(): o
        for o in model.objects.filter(tenant=group.tenant, **{f"{key}__in": list(lookup) + names})
    }
    results, missing = [], []
    for lowered, name in lookup.items():
        obj = found.get(lowered)
        if obj is None:
            missing.append(name)
            continue
        result, clauses = explain(rule, subject_for(obj))
        results.append({"object": obj, "result": result, "clauses": clauses})
    return results, missing


def _context(request: HttpRequest, group, form: RuleForm | None = None, **extra) -> dict:
    may_edit = can(request.user, RULE_ACTION, group)
    device = group.membership_rule.lstrip().lower().startswith("device.")
    text = form["rule"].value() if form is not None else group.membership_rule
    names = [n.strip() for n in request.GET.get("check", "").replace(",", "\n").splitlines() if n.strip()]
    checked, missing = (
        _explanations(request.user, group, names[:MAX_CHECKED]) if names and may_edit else ([], [])
    )
    return {
        "may_edit": may_edit,
        "form": form or RuleForm(initial={"rule": group.membership_rule}),
        "builder": _builder_form_class(device)(),
        "builder_kind": "device" if device else "user",
        "validation": _validation(request.user, group, text or "") if may_edit else None,
        "hold": RuleChangeHold.objects.filter(group=group, status=RuleChangeHold.Status.PENDING)
        .select_related("requested_by")
        .first(),
        "checked": checked,
        "missing": missing,
        "check_text": request.GET.get("check", ""),
        "polling": group.processing_status in (ProcessingStatus.RUNNING, ProcessingStatus.NOT_STARTED),
        **extra,
    }


@login_required
def group_rule(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "members/read")
    if not group.is_dynamic:
        raise Http404("This group's membership is assigned: it has no rule.")
    form = None
    if request.method == "POST":
        group = get_group_for(request.user, group_id, RULE_ACTION)
        form = RuleForm(request.POST)
        if form.is_valid():
            try:
                hold = dynamic.group_rule_update(
                    actor=request.user, group=group, rule=form.cleaned_data["rule"]
                )
            except ServiceError as exc:
                form.add_error("rule", str(exc))
            else:
                if hold:
                    messages.warning(
                        request, f"Held by the failsafe: {len(hold.removals)} members would leave."
                    )
                else:
                    messages.success(request, "Saved the rule; the group is being processed.")
                return redirect("group_rule", group.id)
    status = 400 if form is not None else 200
    return render_tab(
        request, group, "group_rule", "groups/rule.html", _context(request, group, form), status
    )


@login_required
@require_POST
def group_rule_validate(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, RULE_ACTION)
    text = request.POST.get("rule", "")[: MAX_RULE_LENGTH + 1]
    context = {"group": group, "validation": _validation(request.user, group, text), "may_edit": True}
    return render(request, "groups/rule.html#validation", context)


@login_required
@require_POST
def group_rule_build(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, RULE_ACTION)
    device = request.POST.get("kind") == "device"
    builder = _builder_form_class(device)(request.POST)
    text = build_rule(builder.cleaned_data, device=device) if builder.is_valid() else ""
    context = _context(request, group, RuleForm(data={"rule": text}))
    context["builder"] = builder
    context["builder_kind"] = "device" if device else "user"
    if request.htmx:
        return render(request, "groups/rule.html#editor", {"group": group, **context})
    return render_tab(request, group, "group_rule", "groups/rule.html", context)


@login_required
def group_rule_status(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, "members/read")
    polling = group.processing_status in (ProcessingStatus.RUNNING, ProcessingStatus.NOT_STARTED)
    return render(request, "groups/rule.html#status", {"group": group, "polling": polling})


@login_required
@require_POST
def group_rule_processing(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, RULE_ACTION)
    paused = request.POST.get("state") == "Paused"
    try:
        dynamic.group_rule_processing_set(actor=request.user, group=group, paused=paused)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "Processing paused: members stay as they are." if paused else "Processing resumed."
        )
    return redirect("group_rule", group.id)


@login_required
@require_POST
def group_rule_hold(request: HttpRequest, group_id: UUID, hold_id: UUID) -> HttpResponse:
    group = get_group_for(request.user, group_id, RULE_ACTION)
    hold = get_object_or_404(RuleChangeHold, pk=hold_id, group=group)
    try:
        if request.POST.get("decision") == "confirm":
            dynamic.rule_hold_confirm(actor=request.user, hold=hold)
            messages.success(request, "Confirmed: the new rule is saved and the group is being processed.")
        else:
            dynamic.rule_hold_cancel(actor=request.user, hold=hold)
            messages.success(request, "Cancelled: the rule and the members stay as they were.")
    except ServiceError as exc:
        messages.error(request, str(exc))
    except PermissionDenied:
        raise
    return redirect("group_rule", group.id)
