"""The access matrix: role x purpose x field decides allow, mask or deny (policy 7.3.8), and
each role is granted named capabilities (:class:`Capability`: collect, record a consent,
handle requests, manage recipients, ...), never a broad verb standing for several jobs.

Defaults (an operator can replace the matrix in configuration):

- ``dpo`` (data protection officer): every purpose, every field in clear; every capability.
- ``admin``: every purpose; high-sensitivity fields masked; every capability.
- ``operator`` (call centre): contract, service information, offers and direct marketing;
  identity numbers, bank and pension accounts and credit history masked; may collect and
  clarify and record consents, never block, destroy, handle requests or manage keys.
- ``analyst``: statistics only, no writes, and no raw value of any field: statistics come
  from depersonalised facts (policy 2.1 P4; LAW.md Art. 17).

System actors have their own least-privilege roles (DESIGN 1: every actor is what it is):

- ``site`` (the loan form): collects; reads no field (added by ``intake.with_site_role``).
- ``rights`` (the public rights page): the ``subject_request`` purpose only, for a requester
  whose identity was verified; no capability.
- ``worker``: retention (destroy, depersonalise into statistics facts) and transfer notices
  (the contacts under ``contract``); no other field.
- ``router`` (passes a confirmed lead on), ``dispatcher`` (webhook deliveries) and
  ``partner`` (a partner organisation's key): every disclosure names a recipient and so runs
  the transfer rule; the router may also move a subject to another category on a partner's
  outcome.
- ``cli``: a command run on the server by someone who holds its keys (recorded with the OS
  user): every purpose and capability, as the data protection officer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from qorgau.catalog import Catalogue, Sensitivity
from qorgau.errors import Refusal


class Decision(StrEnum):
    ALLOW = "allow"
    MASK = "mask"
    DENY = "deny"


class Capability(StrEnum):
    """What a role may do beyond reading values, each granted by name in the matrix below."""

    #: Store a subject's values; confirm a contact.
    COLLECT = "collect"
    #: Record or withdraw a consent.
    RECORD_CONSENT = "consent.record"
    #: List consents and their events.
    SEE_CONSENTS = "consent.read"
    #: Rectify values.
    CLARIFY = "clarify"
    #: Move a subject to another subject category (policy 3.3).
    RECATEGORISE = "subject.recategorise"
    #: Block and unblock a subject.
    BLOCK = "block"
    #: Destroy values or subjects, depersonalise.
    DESTROY = "destroy"
    #: Data-subject requests: the queue, answers, access reports, retention acts.
    HANDLE_REQUESTS = "requests.handle"
    #: Decide whether two subjects are one person.
    RESOLVE_DUPLICATES = "duplicates.resolve"
    #: Record a legal basis other than consent.
    RECORD_BASIS = "basis.record"
    #: See the recipient registry, transfers and the delivery queue.
    SEE_TRANSFERS = "transfers.read"
    #: Register recipients, rotate their secrets, transfer by hand, answer state bodies,
    #: retry deliveries.
    MANAGE_RECIPIENTS = "recipients.manage"
    #: Publish the policy.
    PUBLISH_POLICY = "policy.publish"
    #: Re-verify the audit log.
    VERIFY_AUDIT = "audit.verify"
    #: Manage keys.
    MANAGE_KEYS = "keys.manage"


ALL_CAPABILITIES = frozenset(Capability)
#: What people who collect and correct data may do (call centre, the public form).
COLLECTING = frozenset(
    {Capability.COLLECT, Capability.RECORD_CONSENT, Capability.SEE_CONSENTS, Capability.CLARIFY}
)
#: The values retention depersonalises into statistics facts (``stats.model.SOURCE_FIELDS``;
#: a unit test keeps the two equal).
FACT_SOURCES = frozenset({"birth_date", "sex", "city", "loan_amount", "iin"})


@dataclass(frozen=True, slots=True)
class RoleRules:
    purposes: frozenset[str]
    capabilities: frozenset[Capability]
    masked: frozenset[str] = frozenset()
    denied: frozenset[str] = frozenset()
    #: The only fields the role may see at all (``None``: every field its purposes allow).
    allowed: frozenset[str] | None = None
    #: Every disclosure to this role names a recipient and runs the transfer rule.
    via_recipient: bool = False


@dataclass(frozen=True, slots=True)
class AccessPolicy:
    roles: Mapping[str, RoleRules]

    def may_use(self, role: str, purpose: str) -> bool:
        rules = self.roles.get(role)
        return rules is not None and purpose in rules.purposes

    def may(self, role: str, capability: Capability) -> bool:
        rules = self.roles.get(role)
        return rules is not None and capability in rules.capabilities

    def via_recipient(self, role: str) -> bool:
        rules = self.roles.get(role)
        return rules is None or rules.via_recipient

    def decide(self, role: str, purpose: str, field: str) -> Decision:
        rules = self.roles.get(role)
        if rules is None or purpose not in rules.purposes or field in rules.denied:
            return Decision.DENY
        if rules.allowed is not None and field not in rules.allowed:
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
        contacts = frozenset({"phone", "email"}) & frozenset(catalogue.fields)
        # What may be passed to a recipient: never the subject-request or statistics data.
        disclosed = every - {"subject_request", "statistics"}
        return cls(
            {
                "dpo": RoleRules(every, ALL_CAPABILITIES),
                "admin": RoleRules(every, ALL_CAPABILITIES, masked=high),
                "operator": RoleRules(
                    every & {"contract", "service_info", "offers", "direct_marketing"},
                    COLLECTING | {Capability.RECATEGORISE},
                    masked=ids,
                ),
                "analyst": RoleRules(
                    every & {"statistics"}, frozenset(), denied=frozenset(catalogue.fields)
                ),
                "cli": RoleRules(every, ALL_CAPABILITIES),
                "rights": RoleRules(every & {"subject_request"}, frozenset()),
                "worker": RoleRules(
                    every & {"contract", "statistics"},
                    frozenset({Capability.DESTROY}),
                    # Contacts for transfer notices, and what depersonalised facts are made
                    # of (stats.model.SOURCE_FIELDS; the IIN gives age and sex when no birth
                    # date was given): nothing else, under any of its purposes.
                    allowed=contacts | (FACT_SOURCES & frozenset(catalogue.fields)),
                ),
                "router": RoleRules(
                    disclosed, frozenset({Capability.RECATEGORISE}), via_recipient=True
                ),
                "dispatcher": RoleRules(disclosed, frozenset(), via_recipient=True),
                # A partner organisation's key: only its own leads, through the partner
                # API, each one under the transfer rule at the moment it is handed out.
                "partner": RoleRules(disclosed, frozenset(), via_recipient=True),
            }
        )

    @property
    def role_names(self) -> list[str]:
        return sorted(self.roles)


class OperationNotPermitted(Refusal):
    """The role may not do this (the access matrix grants it no such capability)."""

    code = "operation-not-permitted"

    def __init__(self, role: str, operation: str) -> None:
        super().__init__(f"role '{role}' may not {operation}")
