"""MFA for police roles: allauth cannot require it per group, so police users (every role but
partner) without an authenticator are sent to TOTP enrolment before anything else."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect

from hotpatrol.web.core.models import POLICE_ROLES, role_of

ALLOWED_PREFIXES = ("/accounts/", "/static/", "/health")


def needs_mfa(user) -> bool:
    if not getattr(settings, "HOTPATROL_MFA_REQUIRED", True) or role_of(user) not in POLICE_ROLES:
        return False
    from allauth.mfa.models import Authenticator

    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class RequireMFAMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not request.path.startswith(ALLOWED_PREFIXES)
                and needs_mfa(user)):
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"message": "Two-factor authentication is required for police "
                                               "accounts: enrol an authenticator app first.",
                                               "fix": "Sign in on the site and follow the enrolment page."}},
                                    status=403)
            return redirect("mfa_activate_totp")
        return self.get_response(request)
