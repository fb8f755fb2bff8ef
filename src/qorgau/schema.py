"""Every table, gathered on one MetaData (Alembic's target; tests compare it to migrations)."""

from qorgau import importer as _importer
from qorgau.audit import store as _audit_store
from qorgau.consent import store as _consent_store
from qorgau.db import metadata
from qorgau.dsr import store as _dsr_store
from qorgau.intake import store as _intake_store
from qorgau.policy import store as _policy_store
from qorgau.retention import store as _retention_store
from qorgau.security import store as _security_store
from qorgau.stats import store as _stats_store
from qorgau.tracking import store as _tracking_store
from qorgau.transfers import store as _transfers_store
from qorgau.vault import store as _vault_store

__all__ = [
    "_audit_store",
    "_consent_store",
    "_dsr_store",
    "_importer",
    "_intake_store",
    "_policy_store",
    "_retention_store",
    "_security_store",
    "_stats_store",
    "_tracking_store",
    "_transfers_store",
    "_vault_store",
    "metadata",
]
