"""Law profiles as data: each figure or rule carries its source (LAW.md). Pure."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LawProfile:
    code: str
    name: str
    #: Consent withdrawal is refused while an obligation to the operator is unfulfilled.
    withdrawal_blocked_by_obligation: bool
    withdrawal_source: str
    #: Notify the subject of a transfer, where the consent promises it (working days).
    transfer_notice_working_days: int | None
    #: Where the databases holding the data must be.
    data_localisation: str


PROFILES: dict[str, LawProfile] = {
    "kz_94v": LawProfile(
        code="kz_94v",
        name='Law of the Republic of Kazakhstan of 21 May 2013 No. 94-V "On personal data '
        'and their protection"',
        withdrawal_blocked_by_obligation=True,
        withdrawal_source="Art. 8 p.2",
        transfer_notice_working_days=10,
        data_localisation="KZ",
    ),
    "ru_152fz": LawProfile(
        code="ru_152fz",
        name='Federal Law of 27 July 2006 No. 152-FZ "On personal data"',
        withdrawal_blocked_by_obligation=False,
        withdrawal_source="Art. 9 p.2, Art. 21 p.5",
        transfer_notice_working_days=None,
        data_localisation="RU",
    ),
}


class UnknownLawProfile(KeyError):
    def __str__(self) -> str:
        return f"unknown law profile {self.args[0]!r}; profiles: {', '.join(PROFILES)}"


def profile(code: str) -> LawProfile:
    try:
        return PROFILES[code]
    except KeyError:
        raise UnknownLawProfile(code) from None


def localisation_problem(profile: LawProfile, storage_location: str) -> str | None:
    """Why ``storage_location`` breaks the profile's localisation rule, or ``None``.

    KZ 94-V Art. 12 p.2: databases in Kazakhstan; RF 152-FZ Art. 18 p.5: in Russia.
    """
    where = storage_location.strip().upper()
    if where != profile.data_localisation:
        return (
            f"storage location {storage_location!r} breaks the localisation rule of "
            f"{profile.code}: the databases must be in {profile.data_localisation}"
        )
    return None
