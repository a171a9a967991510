"""Bearer-token authentication: the token resolves to its admin's Scope, narrowed by the token's
own scopes (`read`, `write`, `ingest`); a token never exceeds its admin's access. Until the
partner org has finished its set-up wizard (SPEC 3), a token is refused with a 403."""

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from accounts.models import ApiToken, hash_token
from accounts.scope import NotAllowed, Scope, scope_for

# Writing last_used_at on every call would turn each read into a write; once a minute is enough.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Scope | None:
        found = (
            ApiToken.objects.select_related("admin", "admin__partner")
            .filter(key_hash=hash_token(token), revoked_at__isnull=True)
            .first()
        )
        if found is None:
            return None
        admin = found.admin
        if not admin.is_active or admin.partner is None:
            return None
        if not admin.partner.is_live:
            # The token is valid: a 401 would send its admin looking for a better one.
            raise NotAllowed(
                "The set-up of your partner organization is not finished: sign in to Partner Hub on the web "
                "to finish it (a full admin reviews the plan and accepts the terms)."
            )
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > _LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        return scope_for(admin, token_scopes=found.scope_set)
