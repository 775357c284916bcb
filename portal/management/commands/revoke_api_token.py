from __future__ import annotations

import uuid

from django.core.management.base import BaseCommand, CommandError

from portal.models import ApiToken
from portal.services import SYSTEM
from portal.tokens import api_token_revoke


class Command(BaseCommand):
    help = "Revoke a JSON API token (by its id, or the first characters of its secret): refused from the next call on."

    def add_arguments(self, parser) -> None:
        parser.add_argument("token", help="the token's id, or its prefix (e.g. gd_AbCdEfG)")

    def handle(self, *args, token: str, **options) -> None:
        try:
            tokens = ApiToken.objects.filter(pk=uuid.UUID(token))
        except ValueError:
            tokens = (
                ApiToken.objects.filter(prefix=token[:10]) if len(token) >= 10 else ApiToken.objects.none()
            )
        found = list(tokens[:2])
        if len(found) != 1:
            raise CommandError(f"No single token matches {token!r}.")
        api_token_revoke(token=found[0], actor=SYSTEM)
        self.stdout.write(f"Revoked token {found[0].id} ({found[0].name}).")
