"""The access matrix: role x purpose x field decides allow, mask or deny (policy 7.3.8).

Defaults (an operator can replace the matrix in configuration):

- ``dpo`` (data protection officer): every purpose, every field in clear; all operations.
- ``admin``: every purpose; high-sensitivity fields masked; all operations.
- ``operator`` (call centre): contract, service information, offers and direct marketing;
  identity numbers, bank and pension accounts and credit history masked; may collect and
  clarify, never block, destroy or manage keys.
- ``analyst``: statistics only, no writes (statistics use depersonalised facts: policy 2.1 P4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from qorgau.catalog import Catalogue, Sensitivity


class Decision(StrEnum):
    ALLOW = "allow"
    MASK = "mask"
    DENY = "deny"


class Operation(StrEnum):
    COLLECT = "collect"
    CLARIFY = "clarify"
    BLOCK = "block"
    DESTROY = "destroy"
    AUDIT = "audit"
    KEYS = "keys"
    POLICY = "policy"


ALL_OPS = frozenset(Operation)


@dataclass(frozen=True, slots=True)
class RoleRules:
    purposes: frozenset[str]
    operations: frozenset[Operation]
    masked: frozenset[str] = frozenset()
    denied: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    roles: Mapping[str, RoleRules]

    def may_use(self, role: str, purpose: str) -> bool:
        rules = self.roles.get(role)
        return rules is not None and purpose in rules.purposes

    def may(self, role: str, op: Operation) -> bool:
        rules = self.roles.get(role)
        return rules is not None and op in rules.operations

    def decide(self, role: str, purpose: str, field: str) -> Decision:
        rules = self.roles.get(role)
        if rules is None or purpose not in rules.purposes or field in rules.denied:
            return Decision.DENY
        return Decision.MASK if field in rules.masked else Decision.ALLOW

    @classmethod
    def default(cls, catalogue: Catalogue) -> AccessPolicy:
        every = frozenset(catalogue.purposes)
        high = frozenset(
            code for code, f in catalogue.fields.items() if f.sensitivity >= Sensitivity.HIGH
        )
        ids = frozenset(
            {"iin", "id_document_number", "bank_account", "pension_account", "credit_history"}
        ) & frozenset(catalogue.fields)
        return cls(
            {
                "dpo": RoleRules(every, ALL_OPS),
                "admin": RoleRules(every, ALL_OPS, masked=high),
                "operator": RoleRules(
                    every & {"contract", "service_info", "offers", "direct_marketing"},
                    frozenset({Operation.COLLECT, Operation.CLARIFY}),
                    masked=ids,
                ),
                "analyst": RoleRules(every & {"statistics"}, frozenset()),
                # A partner organisation's key: no purpose, no operation; bound to a
                # recipient it reaches only the partner API (its own leads).
                "partner": RoleRules(frozenset(), frozenset()),
            }
        )

    @property
    def role_names(self) -> list[str]:
        return sorted(self.roles)
