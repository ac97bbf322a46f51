"""The environment that starts another `crm` process on the same database and keys."""

from __future__ import annotations

from api.bootstrap.settings import Settings


def crm_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """`CRM_*` variables that give a second process these settings' database, data and keys."""
    return {
        "CRM_DATABASE_URL": settings.database_url or "",
        "CRM_DATA_DIR": str(settings.data_dir),
        "CRM_MASTER_KEY": settings.master_key.get_secret_value() if settings.master_key else "",
        "CRM_BLIND_INDEX_KEY": (
            settings.blind_index_key.get_secret_value() if settings.blind_index_key else ""
        ),
        **{f"CRM_{name.upper()}": value for name, value in extra.items()},
    }
