"""Who may do what: ``rules`` predicates for single objects, and the rule of every route.

``ROUTE_RULES`` names the rule of every page (URL name) and API operation (operation id); the
authorisation matrix test walks the URL configuration and the OpenAPI document and fails on any
route missing here. Rules:

- ``public``: anyone (sign-in pages, static files);
- ``signed_in``: any role; anonymous users are sent to sign in (pages) or get 401 (API);
- ``district``: the object's district must be in the user's scope (admins and analysts: all;
  everyone else: their own district); outside it answers 404, as if it did not exist;
- ``force_wide``: admins and analysts only (403 for others);
- ``admin``: force admins only (403 for others);
- ``admin_site``: Django's admin (force admins are its staff; others are sent to its sign-in).
"""

from __future__ import annotations

import rules

from hotpatrol.web.core.models import FORCE_WIDE_ROLES, District, role_of


@rules.predicate
def is_admin(user) -> bool:
    return role_of(user) == "admin"


@rules.predicate
def is_force_wide(user) -> bool:
    return role_of(user) in FORCE_WIDE_ROLES


@rules.predicate
def has_role(user) -> bool:
    return role_of(user) is not None


@rules.predicate
def in_scope(user, obj) -> bool:
    """``obj`` (a District or anything with ``.district``) is in the user's district scope."""
    if obj is None:
        return False
    district = obj if isinstance(obj, District) else getattr(obj, "district", None)
    if role_of(user) in FORCE_WIDE_ROLES:
        return True
    return district is not None and District.objects.restrict(user, "view").filter(pk=district.pk).exists()


for model in ("district", "team", "hotspotcell"):
    rules.add_perm(f"core.view_{model}", has_role & in_scope)
    rules.add_perm(f"core.change_{model}", is_admin)
rules.add_perm("core.view_analysisrun", has_role)
rules.add_perm("core.add_analysisrun", is_force_wide)
rules.add_perm("core.view_profile", is_admin)
rules.add_perm("core.view_accesslog", is_admin)
rules.add_perm("core.view_auditlog", is_admin)

RULES = ("public", "signed_in", "district", "force_wide", "admin", "admin_site")

#: page URL names and API operation ids -> rule. Prefix entries end in "*".
ROUTE_RULES: dict[str, str] = {
    # pages
    "overview": "signed_in",
    "district": "district",
    "audit_changes": "admin",
    "audit_access": "admin",
    "health": "public",
    "admin:*": "admin_site",
    "account_*": "public",
    "account_email": "signed_in",  # the account's own email addresses
    "account_change_password": "signed_in",
    "mfa_*": "signed_in",
    "static": "public",
    # API operations (operation ids)
    "api:openapi-json": "public",
    "api:openapi-view": "public",
    "me": "signed_in",
    "list_districts": "signed_in",
    "get_district": "district",
    "list_hotspots": "signed_in",
    "get_hotspot": "district",
    "list_runs": "signed_in",
    "start_run": "force_wide",
    "ranking": "signed_in",
    "concentration": "signed_in",
    "list_users": "admin",
    "get_user": "admin",
    "audit_changes_api": "admin",
    "audit_access_api": "admin",
}


def rule_for(name: str) -> str | None:
    """The rule of a route name (exact, else the longest matching prefix entry), or None."""
    if name in ROUTE_RULES:
        return ROUTE_RULES[name]
    prefixes = [k for k in ROUTE_RULES if k.endswith("*") and name.startswith(k[:-1])]
    return ROUTE_RULES[max(prefixes, key=len)] if prefixes else None
