"""Fictional people for demos, tests and benchmarks (DESIGN invariant 5: fictional data only).

Names are drawn at random from lists of common Kazakh and Russian first names, surnames and
fathers' names, so the combinations are invented; e-mail addresses use reserved domains only
(RFC 2606/6761: ``example.com``, ``example.org`` and the ``.example`` TLD). IINs are valid
(consistent with the birth date and sex) and phones lie in Kazakhstan's mobile ranges,
because the catalogue refuses anything else; such values may coincide with real numbers
by chance, so demo data must never be used to call, text or look anybody up.

Every record passes ``Catalogue.default().normalise_record("contract", record)``; keys are
catalogue codes (policy 5.1).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from typing import Literal

from qorgau.catalog.identifiers import KZ_MOBILE_PREFIXES, make_iin

__all__ = ["generate_people"]

_KK_MALE = (
    "Айбек", "Нұрлан", "Ержан", "Дәурен", "Асқар", "Бауыржан", "Ерлан", "Марат", "Қайрат",
    "Серік", "Талғат", "Жандос", "Арман", "Ербол", "Әлібек", "Мұрат", "Данияр", "Ғалым",
    "Санжар", "Темірлан",
)  # fmt: skip
_RU_MALE = (
    "Александр", "Сергей", "Андрей", "Дмитрий", "Алексей", "Михаил", "Иван", "Николай",
    "Владимир", "Евгений", "Павел", "Артём", "Максим", "Денис", "Олег", "Игорь", "Виктор",
    "Константин", "Роман", "Юрий",
)  # fmt: skip
_KK_FEMALE = (
    "Айгерім", "Динара", "Гүлнар", "Жанар", "Әсел", "Мадина", "Салтанат", "Ақмарал",
    "Назерке", "Аружан", "Жансая", "Гауһар", "Айжан", "Баян", "Ләззат", "Меруерт", "Томирис",
    "Сәуле", "Дана", "Камила",
)  # fmt: skip
_RU_FEMALE = (
    "Анна", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Мария",
    "Екатерина", "Юлия", "Анастасия", "Марина", "Людмила", "Оксана", "Виктория", "Дарья",
    "Галина", "Ксения", "Алина", "Полина",
)  # fmt: skip
# Male forms; the female form adds "а" (-ов/-ев/-ин) or turns -ский into -ская.
_KK_SURNAMES = (
    "Кенжебаев", "Ахметов", "Жұмабаев", "Сүлейменов", "Әбілов", "Омаров", "Бекмұхамбетов",
    "Ержанов", "Серікбаев", "Қасымов", "Исаев", "Мұхамедов", "Байжанов", "Оспанов",
    "Тұрсынов", "Ибраев", "Дүйсенов", "Есенов", "Сыздықов", "Қалиев", "Әбдірахманов",
    "Нұрпейісов", "Жақыпов", "Сәрсенбаев", "Төлегенов",
)  # fmt: skip
_RU_SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Ковальский",
)  # fmt: skip
# Kazakh patronymics: father's name + -ұлы (son) / -қызы (daughter).
_KK_FATHERS = (
    "Нұрлан", "Серік", "Болат", "Қайрат", "Ерлан", "Асқар", "Бауыржан", "Марат", "Ғалым",
    "Жанат", "Талғат", "Әбдіқадыр", "Ермек", "Бақыт", "Дәулет", "Мейрам", "Сәкен", "Тимур",
)  # fmt: skip
# Russian patronymics: (male, female) forms.
_RU_PATRONYMICS = (
    ("Иванович", "Ивановна"), ("Сергеевич", "Сергеевна"), ("Алексеевич", "Алексеевна"),
    ("Андреевич", "Андреевна"), ("Николаевич", "Николаевна"), ("Петрович", "Петровна"),
    ("Викторович", "Викторовна"), ("Владимирович", "Владимировна"),
    ("Михайлович", "Михайловна"), ("Дмитриевич", "Дмитриевна"), ("Юрьевич", "Юрьевна"),
    ("Олегович", "Олеговна"), ("Евгеньевич", "Евгеньевна"), ("Павлович", "Павловна"),
)  # fmt: skip
_CITIES = (
    "Алматы", "Астана", "Шымкент", "Қарағанды", "Ақтөбе", "Тараз", "Павлодар", "Өскемен",
    "Семей", "Атырау", "Қостанай", "Қызылорда", "Орал", "Петропавл", "Ақтау", "Түркістан",
    "Көкшетау", "Талдықорған", "Екібастұз", "Жезқазған",
)  # fmt: skip
_STREETS_RU = (
    "ул. Абая", "ул. Сейфуллина", "ул. Гагарина", "ул. Жамбыла", "ул. Толе би",
    "ул. Пушкина", "ул. Ауэзова", "ул. Валиханова", "пр. Достык", "пр. Республики",
    "ул. Байтурсынова", "ул. Сатпаева", "ул. Мира", "ул. Победы", "пр. Абылай хана",
)  # fmt: skip
_STREETS_KK = (
    "Абай даңғылы", "Сейфуллин көшесі", "Жамбыл көшесі", "Төле би көшесі", "Әуезов көшесі",
    "Уәлиханов көшесі", "Достық даңғылы", "Тәуелсіздік даңғылы", "Сәтбаев көшесі",
    "Бейбітшілік көшесі",
)  # fmt: skip
_WORKPLACES = (
    "ТОО «Көктем Сервис»", "ТОО «Дала Логистик»", "ТОО «Алтын Сауда Демо»",
    "ТОО «Степной ветер»", "ТОО «Qazaq Demo Trade»", "КГУ «Школа-гимназия № 12»",
    "ГКП «Городская поликлиника № 5»", "ТОО «Жаңа Құрылыс»", "АО «Демо Энерго»",
    "ТОО «Нұр Маркет»", "ТОО «Tau Example Tech»", "ИП «Береке»",
)  # fmt: skip
_POSITIONS = (
    "менеджер", "бухгалтер", "водитель", "продавец-консультант", "учитель", "медсестра",
    "инженер", "оператор call-центра", "кассир", "программист", "сварщик", "повар",
    "охранник", "экономист", "мастер участка", "есепші", "жүргізуші", "мұғалім",
)  # fmt: skip
_EMPLOYMENT = ("employed",) * 6 + ("self_employed",) * 2 + ("unemployed", "retired", "student")
_INCOME_RANGES = {  # thousands of tenge per month
    "employed": (120, 900),
    "self_employed": (100, 1500),
    "unemployed": (0, 80),
    "retired": (60, 200),
    "student": (0, 150),
}
_LOAN_TERMS = ("7", "10", "14", "15", "20", "30", "45", "60", "90", "180", "365")
_DOMAINS = ("example.com", "example.org", "mail.example")
_MOBILE = tuple(sorted(KZ_MOBILE_PREFIXES))
_FIRST_BIRTH = date(1960, 1, 1).toordinal()
_LAST_BIRTH = date(2005, 12, 31).toordinal()

_TRANSLIT = str.maketrans(
    {
        "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e",
        "ё": "e", "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k", "қ": "q", "л": "l",
        "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s",
        "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e",
        "ю": "yu", "я": "ya",
    }
)  # fmt: skip


def _latin(name: str) -> str:
    return name.lower().translate(_TRANSLIT)


def _female_surname(male: str) -> str:
    return male[:-2] + "ая" if male.endswith("ий") else male + "а"


def _address(rng: random.Random, city: str) -> str:
    house, flat = rng.randint(1, 250), rng.randint(1, 180)
    if rng.random() < 0.5:
        return f"г. {city}, {rng.choice(_STREETS_RU)}, д. {house}, кв. {flat}"
    return f"{city} қ., {rng.choice(_STREETS_KK)}, {house}-үй, {flat}-пәтер"


def generate_people(n: int, seed: int = 0) -> Iterator[dict[str, str]]:
    """Yield ``n`` fictional people as records keyed by catalogue codes; deterministic for a
    seed. Phones and IINs are unique within one call."""
    if n < 0:
        raise ValueError("n must not be negative")
    rng = random.Random(seed)
    phones: set[int] = set()
    iins: set[str] = set()
    for index in range(n):
        sex: Literal["male", "female"] = "male" if rng.random() < 0.5 else "female"
        kazakh = rng.random() < 0.7
        if kazakh:
            first = rng.choice(_KK_MALE if sex == "male" else _KK_FEMALE)
            last = rng.choice(_KK_SURNAMES)
            patronymic = rng.choice(_KK_FATHERS) + ("ұлы" if sex == "male" else "қызы")
        else:
            first = rng.choice(_RU_MALE if sex == "male" else _RU_FEMALE)
            last = rng.choice(_RU_SURNAMES)
            patronymic = rng.choice(_RU_PATRONYMICS)[sex == "female"]
        if sex == "female":
            last = _female_surname(last)

        birth = date.fromordinal(rng.randint(_FIRST_BIRTH, _LAST_BIRTH))
        iin = make_iin(birth, sex, rng.randrange(10000))
        while iin in iins:
            iin = make_iin(birth, sex, rng.randrange(10000))
        iins.add(iin)

        phone = rng.randrange(len(_MOBILE) * 10_000_000)
        while phone in phones:
            phone = rng.randrange(len(_MOBILE) * 10_000_000)
        phones.add(phone)
        prefix, number = _MOBILE[phone // 10_000_000], phone % 10_000_000

        employment = rng.choice(_EMPLOYMENT)
        low, high = _INCOME_RANGES[employment]
        city = rng.choice(_CITIES)
        record = {
            "last_name": last,
            "first_name": first,
            "patronymic": patronymic,
            "birth_date": birth.isoformat(),
            "iin": iin,
            "sex": sex,
            "citizenship": "KZ",
            "phone": f"+7 {prefix} {number // 10000:03d} {number // 100 % 100:02d} "
            f"{number % 100:02d}",
            "email": f"{_latin(first)}.{_latin(last)}.{index}@{rng.choice(_DOMAINS)}",
            "city": city,
            "residential_address": _address(rng, city),
            "employment": employment,
            "income": str(rng.randint(low, high) * 1000),
            "loan_amount": str(rng.randint(10, 500) * 1000),
            "loan_term_days": rng.choice(_LOAN_TERMS),
        }
        if employment in ("employed", "self_employed") and rng.random() < 0.8:
            record["workplace"] = rng.choice(_WORKPLACES)
            record["position"] = rng.choice(_POSITIONS)
        yield record
