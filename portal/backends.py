from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from portal.models import User


class UserPrincipalNameBackend(ModelBackend):
    """Sign-in by userPrincipalName (case-insensitive); the tenant comes with the user in one query."""

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("tenant", "tenant__group_settings").get(pk=user_id)
        except (User.DoesNotExist, ValueError):
            return None
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user) -> bool:
        """A disabled or deleted account can't sign in, nor an invited guest who hasn't redeemed."""
        return super().user_can_authenticate(user) and not getattr(user, "is_pending_guest", False)
