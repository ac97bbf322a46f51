"""Builds the application, its stores and views from settings; the one place that does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

import orjson
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool

from api.bootstrap.embedded_database import resolve_database_url
from api.bootstrap.key_files import (
    BLIND_INDEX_FILE,
    open_key_ring,
    secrets_dir,
    warn_about_key_files_beside_data,
)
from api.bootstrap.settings import Settings, load_secret
from crm.adapters.mapper import PersonalDataMapper
from crm.adapters.postgres.access_log import AccessLog
from crm.adapters.postgres.data_keys import PostgresKeyRing
from crm.adapters.postgres.erasure_register import PostgresErasureRegister
from crm.adapters.postgres.event_store import event_store_env
from crm.adapters.postgres.event_streams import EventPositions, EventStreams
from crm.adapters.postgres.identity_index import PostgresIdentityIndex
from crm.adapters.postgres.import_log import PostgresImportLog
from crm.adapters.postgres.import_mappings import PostgresImportMappings
from crm.adapters.postgres.migrations import migrate
from crm.adapters.postgres.pool import open_pool
from crm.adapters.postgres.retention_log import RetentionLog
from crm.adapters.postgres.service_tokens import PostgresServiceTokenStore
from crm.adapters.postgres.snapshots import SnapshotPurger
from crm.adapters.postgres.users import PostgresUserStore
from crm.adapters.postgres.vacuum import ErasureVacuum
from crm.adapters.postgres.web_sessions import PostgresWebSessionStore
from crm.application.catalogue import Catalogue
from crm.application.crm import CRM
from crm.application.group_commit import GroupCommitter
from crm.application.partners import PartnerNetwork
from crm.application.privacy import Privacy
from crm.application.service_tokens import ServiceTokens
from crm.application.users import Users
from crm.application.web_sessions import WebSessions
from projections.engine.generations import LiveViews
from projections.engine.merges import MergeMap
from projections.engine.runner import ProjectionWorker, Projector
from projections.engine.vacuum import vacuum_views
from projections.engine.view import View
from projections.segments.store import SegmentStore
from projections.views.completions import Completions
from projections.views.consent_ledger import ConsentLedger
from projections.views.digimentors import Digimentors
from projections.views.directory import CustomerDirectory
from projections.views.funnel import Funnel
from projections.views.indicators import CustomerIndicators
from projections.views.offerings import Offerings
from projections.views.organisations import Organisations
from projections.views.partner_tiers import PartnerTiers
from projections.views.partners import Partners
from projections.views.receivables import Receivables
from projections.views.restrictions import Restrictions
from projections.views.tasks import Tasks
from projections.views.timeline import Timeline
from projections.views.touchpoint_index import TouchpointIndex

VIEW_CLASSES: list[type[View]] = [
    CustomerDirectory,
    Timeline,
    CustomerIndicators,
    ConsentLedger,
    Funnel,
    Organisations,
    Restrictions,
    TouchpointIndex,
    Tasks,
    Offerings,
    Receivables,
    Completions,
    Digimentors,
    MergeMap,
    PartnerTiers,
    Partners,
]


@dataclass
class Services:
    """Everything a process needs, built once and closed once."""

    settings: Settings
    database_url: str
    pool: ConnectionPool
    crm: CRM
    catalogue: Catalogue
    partners: PartnerNetwork
    key_ring: PostgresKeyRing
    """The CRM's data keys (`crm.keys`), typed as the store that can also rotate them."""
    users: Users
    service_tokens: ServiceTokens
    web_sessions: WebSessions
    views: LiveViews
    projector: Projector
    import_log: PostgresImportLog
    import_mappings: PostgresImportMappings
    privacy: Privacy
    access_log: AccessLog
    retention_log: RetentionLog
    segment_store: SegmentStore
    committer: GroupCommitter | None
    """Set when `settings.group_commit` is on; touchpoints are then saved in groups."""
    worker: ProjectionWorker | None
    """Set when `settings.run_projections` is on; the views are then kept up in-process."""

    def close(self) -> None:
        if self.committer is not None:
            self.committer.stop()
        if self.worker is not None:
            self.worker.stop()
        self.projector.close()
        self.crm.close()
        self.pool.close()


def view_configurator(settings: Settings, mapper: PersonalDataMapper) -> Callable[[View], None]:
    """Applies the settings that shape how views are built or read (the engagement
    half-life, the consent validity)
    and gives the timeline the mapper that opens its sealed personal fields."""

    def configure(view: View) -> None:
        if isinstance(view, CustomerIndicators):
            view.half_life_days = settings.engagement_half_life_days
        if isinstance(view, ConsentLedger):
            view.validity_months = settings.consent_validity_months
        if isinstance(view, (Timeline, ConsentLedger)):
            view.mapper = mapper

    return configure


def build_services(settings: Settings) -> Services:
    """Connect to PostgreSQL (starting the embedded server if none is configured)."""
    # jsonb columns (timeline details, segment rules) decode with orjson: several times
    # faster than the standard library for the pages that read hundreds of them.
    set_json_loads(orjson.loads)
    database_url = resolve_database_url(settings.database_url, settings.data_dir)
    pool = open_pool(database_url, max_size=settings.pool_size * 2)
    # Before anything reads or writes: the library creates only its own tables.
    migrate(pool)
    service_token_store = PostgresServiceTokenStore(pool)
    users = Users(PostgresUserStore(pool), service_token_store)
    warn_about_key_files_beside_data(settings)
    try:
        keys = open_key_ring(settings, pool)
    except BaseException:
        pool.close()
        raise
    identities = PostgresIdentityIndex(
        pool, load_secret(settings.blind_index_key, secrets_dir(settings) / BLIND_INDEX_FILE)
    )
    crm = CRM(
        event_store_env(database_url, settings.pool_size),
        keys=keys,
        identities=identities,
        positions=EventPositions(pool),
        streams=EventStreams(pool),
    )
    crm.consent_validity_months = settings.consent_validity_months
    datastore = cast(PostgresApplicationRecorder, crm.recorder).datastore
    mapper = cast(PersonalDataMapper, crm.mapper)
    views = LiveViews(datastore, VIEW_CLASSES, configure=view_configurator(settings, mapper))
    projector = Projector(crm, batch_size=settings.projection_batch_size)
    committer = GroupCommitter(crm) if settings.group_commit else None
    if committer is not None:
        committer.start()
    worker = ProjectionWorker(projector, views, database_url) if settings.run_projections else None
    if worker is not None:
        worker.start()
    vacuum_write_side = ErasureVacuum(database_url)

    import_log = PostgresImportLog(pool)

    def vacuum_after_erasure(position: int | None) -> None:
        vacuum_write_side()
        vacuum_views(views, database_url, position, settings.read_wait_timeout)

    return Services(
        settings=settings,
        database_url=database_url,
        pool=pool,
        crm=crm,
        catalogue=Catalogue(crm),
        partners=PartnerNetwork(crm),
        key_ring=keys,
        users=users,
        service_tokens=ServiceTokens(service_token_store, forget=users.forget),
        web_sessions=WebSessions(
            PostgresWebSessionStore(pool),
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_hours),
        ),
        views=views,
        projector=projector,
        import_log=import_log,
        import_mappings=PostgresImportMappings(pool),
        privacy=Privacy(
            crm,
            PostgresErasureRegister(pool, keys),
            SnapshotPurger(pool),
            vacuum_after_erasure,
            import_log.forget_customer,
        ),
        access_log=AccessLog(pool, keys),
        retention_log=RetentionLog(pool),
        segment_store=SegmentStore(pool),
        committer=committer,
        worker=worker,
    )
