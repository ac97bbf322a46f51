"""Permissions: what each role may do, and which permission every route and page needs."""

from __future__ import annotations

from enum import StrEnum

from crm.application.users import Role, User


class Permission(StrEnum):
    READ_CUSTOMERS = "read_customers"
    READ_CONTACT_DETAILS = "read_contact_details"
    """E-mail and phone of every customer; without it, only a consented e-mail shows."""
    WRITE_CUSTOMERS = "write_customers"
    READ_TIMELINES = "read_timelines"
    RECORD_TOUCHPOINTS = "record_touchpoints"
    MANAGE_SEGMENTS = "manage_segments"
    RUN_PRIVACY = "run_privacy"
    MANAGE_USERS = "manage_users"
    MANAGE_OFFERINGS = "manage_offerings"
    """Add, revise, retire and reinstate offerings of the catalogue (everyone reads it)."""
    MAP_OFFERINGS = "map_offerings"
    """Read the legacy free-text offering names (personal data) to map them to the catalogue."""
    RUN_FINANCE = "run_finance"
    """Invoices, payments, credits, receivables, revenue and the accounting export."""
    MANAGE_PARTNER_TIERS = "manage_partner_tiers"
    """Enter and revise the partner tiers and their benefits (everyone reads them)."""
    MERGE_CUSTOMERS = "merge_customers"
    """List probable duplicates and merge them: account managers their own customers,
    admins any."""


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ACCOUNT_MANAGER: frozenset(
        {
            Permission.READ_CUSTOMERS,
            Permission.READ_CONTACT_DETAILS,
            Permission.WRITE_CUSTOMERS,
            Permission.READ_TIMELINES,
            Permission.RECORD_TOUCHPOINTS,
            Permission.MERGE_CUSTOMERS,
        }
    ),
    Role.MARKETING: frozenset(
        {Permission.READ_CUSTOMERS, Permission.MANAGE_SEGMENTS, Permission.MANAGE_OFFERINGS}
    ),
    Role.DPO: frozenset(
        {
            Permission.READ_CUSTOMERS,
            Permission.READ_CONTACT_DETAILS,
            Permission.READ_TIMELINES,
            Permission.RUN_PRIVACY,
        }
    ),
    Role.FINANCE: frozenset({Permission.RUN_FINANCE}),
    Role.ADMIN: frozenset(
        {
            Permission.MANAGE_USERS,
            Permission.MANAGE_OFFERINGS,
            Permission.MAP_OFFERINGS,
            Permission.MANAGE_PARTNER_TIERS,
            Permission.MERGE_CUSTOMERS,
        }
    ),
}


PUBLIC_PATHS = frozenset(
    {
        "/health",
        "/docs",
        "/docs/oauth2-redirect",
        "/docs/assets",
        "/redoc",
        "/openapi.json",
        "/static",
        "/",
        "/ui/login",
        "/ui/sso",
        "/ui/sso/callback",
        "/ui/language/{language}",
        # Signed with the e-mail tool's shared secret instead of a token (api.http.signatures).
        "/mail-feedback/webhook",
    }
)
"""Paths anyone may open without credentials."""

AUTHENTICATED = None
"""In `ENDPOINT_PERMISSIONS`: any signed-in user, whatever the role."""

ENDPOINT_PERMISSIONS: dict[tuple[str, str], Permission | None] = {
    # HTTP API (bearer token)
    ("POST", "/customers"): Permission.WRITE_CUSTOMERS,
    ("GET", "/customers"): Permission.READ_CUSTOMERS,
    ("POST", "/customers/search"): Permission.READ_CUSTOMERS,
    ("GET", "/customers/{customer_id}"): Permission.READ_CUSTOMERS,
    ("PATCH", "/customers/{customer_id}/profile"): Permission.WRITE_CUSTOMERS,
    ("PUT", "/customers/{customer_id}/account-manager"): Permission.WRITE_CUSTOMERS,
    ("POST", "/customers/{customer_id}/affiliations"): Permission.WRITE_CUSTOMERS,
    ("DELETE", "/customers/{customer_id}/affiliations/{organisation_id}"): (
        Permission.WRITE_CUSTOMERS
    ),
    ("POST", "/customers/{customer_id}/digimentor-roles"): Permission.WRITE_CUSTOMERS,
    ("DELETE", "/customers/{customer_id}/digimentor-roles/{organisation_id}"): (
        Permission.WRITE_CUSTOMERS
    ),
    ("GET", "/digimentors"): Permission.READ_CUSTOMERS,
    ("POST", "/customers/{customer_id}/touchpoints"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/customers/{customer_id}/timeline"): Permission.READ_TIMELINES,
    ("POST", "/customers/{customer_id}/tasks"): Permission.RECORD_TOUCHPOINTS,
    ("POST", "/customers/{customer_id}/tasks/{task_id}/completion"): (
        Permission.RECORD_TOUCHPOINTS
    ),
    ("POST", "/customers/{customer_id}/tasks/{task_id}/cancellation"): (
        Permission.RECORD_TOUCHPOINTS
    ),
    ("GET", "/tasks"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/pipeline"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/duplicates"): Permission.MERGE_CUSTOMERS,
    ("POST", "/customers/{customer_id}/merges"): Permission.MERGE_CUSTOMERS,
    ("POST", "/customers/{customer_id}/merges/{absorbed_id}/undo"): Permission.MERGE_CUSTOMERS,
    ("POST", "/customers/{customer_id}/entries/{version}/retraction"): (
        Permission.RECORD_TOUCHPOINTS
    ),
    ("POST", "/customers/{customer_id}/entries/{version}/correction"): (
        Permission.RECORD_TOUCHPOINTS
    ),
    ("POST", "/imports"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/imports/{import_id}"): Permission.RECORD_TOUCHPOINTS,
    ("POST", "/privacy/erasures"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/erasures"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/erasures/{request_id}"): Permission.RUN_PRIVACY,
    ("POST", "/privacy/requests"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/requests"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/requests/{request_id}"): Permission.RUN_PRIVACY,
    ("POST", "/privacy/requests/{request_id}/extension"): Permission.RUN_PRIVACY,
    ("POST", "/privacy/requests/{request_id}/refusal"): Permission.RUN_PRIVACY,
    ("POST", "/privacy/requests/{request_id}/completion"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/exports/{customer_id}"): Permission.RUN_PRIVACY,
    ("POST", "/privacy/restrictions"): Permission.RUN_PRIVACY,
    ("DELETE", "/privacy/restrictions/{customer_id}"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/consents/{customer_id}"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/access-log"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/retention-decisions"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/consent-audit"): Permission.RUN_PRIVACY,
    ("GET", "/privacy/consent-audit.csv"): Permission.RUN_PRIVACY,
    ("GET", "/customers/{customer_id}/indicators"): Permission.READ_CUSTOMERS,
    # Account managers and the DPO: the roles that read timelines.
    ("GET", "/customers/{customer_id}/consents"): Permission.READ_TIMELINES,
    ("GET", "/organisations/{organisation_id}/rollup"): Permission.READ_CUSTOMERS,
    ("GET", "/reports/funnel"): Permission.READ_CUSTOMERS,
    ("GET", "/reports/revenue"): Permission.READ_CUSTOMERS,
    # Segments: marketing builds and exports; the DPO lists every export.
    ("POST", "/segments"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segments"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segments/{segment_id}"): Permission.MANAGE_SEGMENTS,
    ("PUT", "/segments/{segment_id}"): Permission.MANAGE_SEGMENTS,
    ("POST", "/segments/preview"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segments/{segment_id}/preview"): Permission.MANAGE_SEGMENTS,
    ("POST", "/segments/explain"): Permission.MANAGE_SEGMENTS,
    ("POST", "/segments/{segment_id}/exports"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segments/{segment_id}/exports"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segments/{segment_id}/sizes"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segments/{segment_id}/members"): Permission.MANAGE_SEGMENTS,
    ("GET", "/segment-exports"): Permission.RUN_PRIVACY,
    ("POST", "/mail-feedback/files"): Permission.MANAGE_SEGMENTS,
    ("GET", "/customers/{customer_id}/segments"): Permission.READ_CUSTOMERS,
    ("GET", "/ui/segments"): Permission.MANAGE_SEGMENTS,
    ("GET", "/ui/segments/new"): Permission.MANAGE_SEGMENTS,
    ("GET", "/ui/segments/{segment_id}"): Permission.MANAGE_SEGMENTS,
    ("POST", "/ui/segments/builder"): Permission.MANAGE_SEGMENTS,
    ("POST", "/ui/segments/count"): Permission.MANAGE_SEGMENTS,
    ("POST", "/ui/segments/{segment_id}/export"): Permission.MANAGE_SEGMENTS,
    ("POST", "/service-tokens"): Permission.MANAGE_USERS,
    ("GET", "/service-tokens"): Permission.MANAGE_USERS,
    ("DELETE", "/service-tokens/{number}"): Permission.MANAGE_USERS,
    # The offering catalogue: everyone reads; admins and marketing maintain it.
    ("GET", "/offerings"): AUTHENTICATED,
    ("GET", "/offerings/{code}"): AUTHENTICATED,
    ("POST", "/offerings"): Permission.MANAGE_OFFERINGS,
    ("PUT", "/offerings/{code}"): Permission.MANAGE_OFFERINGS,
    ("POST", "/offerings/{code}/retirement"): Permission.MANAGE_OFFERINGS,
    ("DELETE", "/offerings/{code}/retirement"): Permission.MANAGE_OFFERINGS,
    ("GET", "/offering-mapping"): Permission.MAP_OFFERINGS,
    ("GET", "/ui/offerings/mapping"): Permission.MAP_OFFERINGS,
    ("GET", "/ui/offerings"): AUTHENTICATED,
    ("POST", "/ui/offerings"): Permission.MANAGE_OFFERINGS,
    ("POST", "/ui/offerings/{code}/state"): Permission.MANAGE_OFFERINGS,
    ("GET", "/ui/offerings/{code}/edit"): Permission.MANAGE_OFFERINGS,
    ("POST", "/ui/offerings/{code}"): Permission.MANAGE_OFFERINGS,
    # The completion registry: the roles that read timelines.
    ("GET", "/completions"): Permission.READ_TIMELINES,
    ("GET", "/completions/transcript.csv"): Permission.READ_TIMELINES,
    ("GET", "/completions/staff-report.csv"): Permission.READ_TIMELINES,
    ("GET", "/ui/completions"): Permission.READ_TIMELINES,
    ("GET", "/ui/completions/report.csv"): Permission.READ_TIMELINES,
    ("GET", "/ui/completions/report.pdf"): Permission.READ_TIMELINES,
    ("GET", "/completions/transcript.pdf"): Permission.READ_TIMELINES,
    ("GET", "/completions/staff-report.pdf"): Permission.READ_TIMELINES,
    # Finance follow-up
    ("POST", "/customers/{customer_id}/invoices"): Permission.RUN_FINANCE,
    ("POST", "/customers/{customer_id}/payments"): Permission.RUN_FINANCE,
    ("POST", "/customers/{customer_id}/credits"): Permission.RUN_FINANCE,
    ("GET", "/finance/receivables"): Permission.RUN_FINANCE,
    ("GET", "/finance/revenue"): Permission.RUN_FINANCE,
    ("GET", "/finance/export.csv"): Permission.RUN_FINANCE,
    ("GET", "/ui/finance"): Permission.RUN_FINANCE,
    ("GET", "/ui/finance/export.csv"): Permission.RUN_FINANCE,
    ("POST", "/ui/finance/invoices"): Permission.RUN_FINANCE,
    ("POST", "/ui/finance/payments"): Permission.RUN_FINANCE,
    # The partner network: everyone reads the tiers, admins maintain them; account managers
    # record benefits, reviews and programme changes and read the reviews; the roles that
    # read customers read a programme's members and events.
    ("GET", "/partner-tiers"): AUTHENTICATED,
    ("GET", "/partner-tiers/{code}"): AUTHENTICATED,
    ("POST", "/partner-tiers"): Permission.MANAGE_PARTNER_TIERS,
    ("PUT", "/partner-tiers/{code}"): Permission.MANAGE_PARTNER_TIERS,
    ("POST", "/customers/{customer_id}/partner-benefits"): Permission.RECORD_TOUCHPOINTS,
    ("POST", "/customers/{customer_id}/programmes"): Permission.RECORD_TOUCHPOINTS,
    ("POST", "/customers/{customer_id}/programmes/{programme}/departure"): (
        Permission.RECORD_TOUCHPOINTS
    ),
    ("GET", "/partners/due-reviews"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/partners/{organisation_id}/review"): Permission.READ_TIMELINES,
    ("POST", "/partners/{organisation_id}/reviews"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/programmes/{programme}"): Permission.READ_CUSTOMERS,
    ("GET", "/ui/partner-tiers"): AUTHENTICATED,
    ("POST", "/ui/partner-tiers"): Permission.MANAGE_PARTNER_TIERS,
    ("GET", "/ui/partners/{organisation_id}/review"): Permission.READ_TIMELINES,
    ("POST", "/ui/partners/{organisation_id}/review"): Permission.RECORD_TOUCHPOINTS,
    ("POST", "/ui/customers/{customer_id}/partner-benefits"): Permission.RECORD_TOUCHPOINTS,
    ("POST", "/ui/customers/{customer_id}/programmes"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/ui/programmes/{programme}"): Permission.READ_CUSTOMERS,
    # Web UI pages (session cookie)
    ("GET", "/ui"): AUTHENTICATED,
    ("POST", "/ui/logout"): AUTHENTICATED,
    ("GET", "/ui/customers"): Permission.READ_CUSTOMERS,
    ("POST", "/ui/customers"): Permission.READ_CUSTOMERS,
    ("GET", "/ui/customers/{customer_id}"): Permission.READ_CUSTOMERS,
    ("POST", "/ui/customers/{customer_id}/touchpoints"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/ui/customers/new"): Permission.WRITE_CUSTOMERS,
    ("POST", "/ui/customers/new"): Permission.WRITE_CUSTOMERS,
    ("POST", "/ui/customers/{customer_id}/profile"): Permission.WRITE_CUSTOMERS,
    ("POST", "/ui/customers/{customer_id}/owner"): Permission.WRITE_CUSTOMERS,
    ("POST", "/ui/customers/{customer_id}/affiliations"): Permission.WRITE_CUSTOMERS,
    ("POST", "/ui/customers/{customer_id}/affiliations/{other_id}/end"): (
        Permission.WRITE_CUSTOMERS
    ),
    ("POST", "/ui/customers/{customer_id}/digimentor-roles"): Permission.WRITE_CUSTOMERS,
    ("POST", "/ui/customers/{customer_id}/digimentor-roles/{other_id}/end"): (
        Permission.WRITE_CUSTOMERS
    ),
    ("GET", "/ui/digimentors"): Permission.READ_CUSTOMERS,
    ("GET", "/ui/my-customers"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/ui/tasks"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/ui/pipeline"): Permission.RECORD_TOUCHPOINTS,
    ("POST", "/ui/pipeline/{customer_id}/move"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/ui/duplicates"): Permission.MERGE_CUSTOMERS,
    ("GET", "/ui/duplicates/compare"): Permission.MERGE_CUSTOMERS,
    ("POST", "/ui/duplicates/merge"): Permission.MERGE_CUSTOMERS,
    ("POST", "/ui/customers/{customer_id}/merges/{absorbed_id}/undo"): (Permission.MERGE_CUSTOMERS),
    ("POST", "/ui/customers/{customer_id}/tasks"): Permission.RECORD_TOUCHPOINTS,
    ("POST", "/ui/customers/{customer_id}/tasks/{task_id}/complete"): (
        Permission.RECORD_TOUCHPOINTS
    ),
    ("POST", "/ui/customers/{customer_id}/tasks/{task_id}/cancel"): Permission.RECORD_TOUCHPOINTS,
    ("POST", "/ui/customers/{customer_id}/entries/{version}/retraction"): (
        Permission.RECORD_TOUCHPOINTS
    ),
    ("GET", "/ui/imports"): Permission.RECORD_TOUCHPOINTS,
    ("POST", "/ui/imports"): Permission.RECORD_TOUCHPOINTS,
    ("POST", "/ui/imports/run"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/ui/imports/{import_id}"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/ui/imports/{import_id}/errors.csv"): Permission.RECORD_TOUCHPOINTS,
    ("GET", "/ui/dashboard"): Permission.READ_CUSTOMERS,
    ("GET", "/ui/privacy/consent-audit"): Permission.RUN_PRIVACY,
    ("GET", "/ui/privacy/consent-audit.csv"): Permission.RUN_PRIVACY,
    ("GET", "/ui/privacy/consents/{customer_id}"): Permission.RUN_PRIVACY,
    ("GET", "/ui/privacy/requests"): Permission.RUN_PRIVACY,
    ("POST", "/ui/privacy/requests"): Permission.RUN_PRIVACY,
    ("GET", "/ui/privacy/requests/{request_id}"): Permission.RUN_PRIVACY,
    ("POST", "/ui/privacy/requests/{request_id}/{action}"): Permission.RUN_PRIVACY,
    ("GET", "/ui/privacy/requests/{request_id}/document"): Permission.RUN_PRIVACY,
    ("POST", "/ui/privacy/restrictions"): Permission.RUN_PRIVACY,
    ("GET", "/ui/privacy/access-log"): Permission.RUN_PRIVACY,
    ("GET", "/ui/admin/users"): Permission.MANAGE_USERS,
    ("POST", "/ui/admin/users"): Permission.MANAGE_USERS,
    ("POST", "/ui/admin/users/{name}/revoke"): Permission.MANAGE_USERS,
    ("POST", "/ui/admin/users/{name}/role"): Permission.MANAGE_USERS,
    ("GET", "/ui/admin/users/{name}/sessions"): Permission.MANAGE_USERS,
    ("GET", "/ui/admin/service-tokens"): Permission.MANAGE_USERS,
    ("POST", "/ui/admin/service-tokens"): Permission.MANAGE_USERS,
    ("POST", "/ui/admin/service-tokens/{number}/revoke"): Permission.MANAGE_USERS,
    ("POST", "/ui/admin/users/{name}/sessions/{number}/revoke"): Permission.MANAGE_USERS,
}
"""The permission matrix: which permission each endpoint and page needs, by method and path.

`require()` and the web pages look the route up here, and the permission tests check every
route of the app against it for every role, so a new endpoint must be listed to be tested.
"""


def permission_for(method: str, path: str, declared: Permission | None) -> Permission | None:
    """The permission an endpoint needs: its entry in the matrix, else what the route declares."""
    return ENDPOINT_PERMISSIONS.get((method, path), declared)


def roles_with(permission: Permission | None) -> frozenset[Role]:
    """The roles a permission (or `AUTHENTICATED`) lets through."""
    if permission is None:
        return frozenset(Role)
    return frozenset(role for role, granted in ROLE_PERMISSIONS.items() if permission in granted)


def can(user: User, permission: Permission) -> bool:
    """Whether the user's role grants the permission (and, for a service token, whether the
    token was given it)."""
    if user.permissions is not None and permission.value not in user.permissions:
        return False
    return permission in ROLE_PERMISSIONS[user.role]
