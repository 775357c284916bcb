from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from portal.models import CreationType, User


class UserPrincipalNameBackend(ModelBackend):
    """Sign-in by userPrincipalName (case-insensitive); the tenant comes with the user in one query.

    An invited guest may also sign in with the email address they were invited at (their
    ``name_domain#EXT#@…`` sign-in name is Entra's, not one a person remembers), as long as exactly
    one invited guest of any tenant has that address; otherwise the sign-in name is needed."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None or not username or not password or "#" in username:
            return user
        guest = _invited_guest(username)
        if guest is not None and guest.check_password(password) and self.user_can_authenticate(guest):
            return guest
        return None

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("tenant", "tenant__group_settings").get(pk=user_id)
        except (User.DoesNotExist, ValueError):
            return None
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user) -> bool:
        """A disabled or deleted account can't sign in, nor an invited guest who hasn't redeemed."""
        return super().user_can_authenticate(user) and not getattr(user, "is_pending_guest", False)


def _invited_guest(email: str) -> User | None:
    """The one live invited guest with this email address, or None (none, or several tenants')."""
    found = list(
        User.objects.filter(
            mail__iexact=email.strip()[:256],
            creation_type=CreationType.INVITATION,
            deleted_date_time__isnull=True,
        )[:2]
    )
    return found[0] if len(found) == 1 else None
