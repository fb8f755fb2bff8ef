"""Settings from the environment (policy 1.1-1.2: operator and law profile are configuration).

`QORGAU_HOME` is the ``var/`` directory (database, keyring, audit signing key);
`QORGAU_DATABASE_URL` defaults to SQLite inside it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OperatorProfile(BaseSettings):
    """The operator named in the policy appendix; any operator can set its own."""

    model_config = SettingsConfigDict(env_prefix="QORGAU_OPERATOR_")

    name: str = "ProLeads LLP"
    bin: str = "220840003513"
    address: str = "071400, East Kazakhstan region, Semey, Fizkulturnaya st. 9/2"
    site: str = "https://hot-zaim.kz"
    storage_location: str = "KZ"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QORGAU_")

    home: Path = Field(default=Path("var"))
    operator: OperatorProfile = Field(default_factory=OperatorProfile)
    database_url: str | None = None
    law_profile: str = "kz_94v"
    timezone: str = "Asia/Almaty"
    audit_partitions: int = Field(default=64, ge=1, le=4096)
    #: Seconds between signed checkpoints while ``qorgau run`` serves (when the log moved).
    checkpoint_interval: float = Field(default=60.0, gt=0)
    #: Operator-configured retention periods in days per purpose code, e.g. {"offers": 180}.
    retention_days: dict[str, int] = Field(default_factory=dict)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'qorgau.db').resolve()}"

    @property
    def keyring_path(self) -> Path:
        return self.home / "keyring.json"

    @property
    def signing_key_path(self) -> Path:
        return self.home / "audit-signing.key"
