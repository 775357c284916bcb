from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from portal import roles
from portal.errors import ServiceError
from portal.models import Tenant, User
from portal.services import SYSTEM
from portal.tokens import api_token_create


class Command(BaseCommand):
    help = (
        "Make a bearer token for the JSON API (/v1.0/, /beta/), acting as a user (with that user's rights) "
        "or as an app holding one built-in role. The token is printed once; only its hash is kept."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True, help="the tenant's slug")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", help="the userPrincipalName the token acts as")
        who.add_argument("--app", help="the app's name (its service principal is made if missing)")
        parser.add_argument("--role", help=f"the app's built-in role: {', '.join(roles.BUILTIN_ROLES)}")
        parser.add_argument("--name", default="", help="a label for the token")

    def handle(
        self, *args, tenant: str, user: str | None, app: str | None, role: str | None, name: str, **options
    ):
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError(f"No tenant with the slug {tenant!r}.")
        user_obj = None
        if user is not None:
            user_obj = User.objects.for_tenant(tenant_obj).filter(user_principal_name__iexact=user).first()
            if user_obj is None:
                raise CommandError(f"No user {user!r} in {tenant}.")
            if role:
                raise CommandError("--role is for app tokens: a user token has the user's own rights.")
        elif not role:
            raise CommandError("An app token needs --role.")
        try:
            token, secret = api_token_create(
                tenant=tenant_obj, actor=SYSTEM, user=user_obj, app_name=app, role=role, name=name
            )
        except ServiceError as exc:
            raise CommandError(str(exc)) from None
        who = user_obj.user_principal_name if user_obj else f"app {app!r} ({token.role})"
        self.stderr.write(f"Token {token.id} for {who} in {tenant}. Keep it secret: it isn't shown again.")
        self.stdout.write(secret)
