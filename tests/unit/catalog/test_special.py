"""Special categories are never processed (policy 3.2; DESIGN invariant 8). Fictional notes."""

from __future__ import annotations

import time

import pytest

from qorgau.catalog.special import (
    SPECIAL_CATEGORIES,
    SpecialCategoryFound,
    ensure_no_special,
    scan_special,
)

CODES = {
    "race",
    "nationality",
    "political_views",
    "religious_beliefs",
    "intimate_life",
    "criminal_record",
}


def test_the_six_categories_of_policy_3_2_with_three_labels_each() -> None:
    assert set(SPECIAL_CATEGORIES) == CODES
    for labels in SPECIAL_CATEGORIES.values():
        assert set(labels) == {"kk", "ru", "en"}
        assert all(label.strip() for label in labels.values())


HITS = [
    # race
    ("race", "ru", "Клиент сам указал свою расу"),
    ("race", "ru", "вопросы о расовой принадлежности не задаём"),
    ("race", "kk", "Нәсілі туралы айтты"),
    ("race", "en", "mentioned his race on the call"),
    ("race", "en", "Racial origin: n/a"),
    # nationality (ethnic origin; citizenship is allowed)
    ("nationality", "ru", "Национальность: казах"),
    ("nationality", "ru", "по национальности русская"),
    ("nationality", "ru", "этнический кореец"),
    ("nationality", "kk", "Ұлты: қазақ"),
    ("nationality", "kk", "ұлтын сұрады"),
    ("nationality", "en", "Nationality: Uzbek"),
    ("nationality", "en", "ethnicity unknown"),
    # political views
    ("political_views", "ru", "состоит в партии"),
    ("political_views", "ru", "с партиями не связан"),
    ("political_views", "ru", "Политические взгляды: оппозиционные"),
    ("political_views", "ru", "ходил на митинг"),
    ("political_views", "kk", "Саяси көзқарасы бар"),
    ("political_views", "kk", "партиясының мүшесі"),
    ("political_views", "en", "member of a political party"),
    ("political_views", "en", "politically active"),
    # religious and philosophical beliefs
    ("religious_beliefs", "ru", "Вероисповедание: мусульманин"),
    ("religious_beliefs", "ru", "православная, ходит в церковь"),
    ("religious_beliefs", "ru", "религия не позволяет брать проценты"),
    ("religious_beliefs", "ru", "Верующий"),
    ("religious_beliefs", "kk", "Діні: ислам"),
    ("religious_beliefs", "kk", "мұсылман"),
    ("religious_beliefs", "kk", "мешітке барады"),
    ("religious_beliefs", "en", "Religion: Christian"),
    ("religious_beliefs", "en", "is a practising Muslim"),
    ("religious_beliefs", "en", "goes to church every week"),
    # intimate life
    ("intimate_life", "ru", "сексуальная ориентация"),
    ("intimate_life", "ru", "интимные подробности"),
    ("intimate_life", "kk", "жыныстық бағдары"),
    ("intimate_life", "kk", "жыныстық өмірі туралы"),
    ("intimate_life", "en", "sexual orientation"),
    ("intimate_life", "en", "talked about her sex life"),
    # criminal record
    ("criminal_record", "ru", "имеет судимость"),
    ("criminal_record", "ru", "ранее судим"),
    ("criminal_record", "ru", "сидел в тюрьме"),
    ("criminal_record", "ru", "уголовное дело закрыто"),
    ("criminal_record", "kk", "бұрын сотталған"),
    ("criminal_record", "kk", "соттылығы жоқ"),
    ("criminal_record", "kk", "қылмыстық іс"),
    ("criminal_record", "en", "has a criminal record"),
    ("criminal_record", "en", "was convicted in 2015"),
    ("criminal_record", "en", "spent two years in prison"),
]


@pytest.mark.parametrize(("category", "language", "text"), HITS)
def test_hits(category: str, language: str, text: str) -> None:
    assert scan_special(text) == category, language


def test_every_category_is_hit_in_every_language() -> None:
    covered = {(category, language) for category, language, _ in HITS}
    assert covered == {(c, lang) for c in CODES for lang in ("ru", "kk", "en")}


@pytest.mark.parametrize(
    "text",
    [
        "РЕЛИГИЯ",  # case
        "Её верующая",  # ё folded to е
        "политическая-партия",  # punctuation separates words
        "сексуальная\n\tориентация",
        "Рели\u0301гия",  # a stress mark does not split the word
        "Рели\u0301гия".upper(),
    ],
)
def test_normalisation(text: str) -> None:
    assert scan_special(text) is not None


def test_first_hit_in_text_order() -> None:
    assert scan_special("судимость; национальность") == "criminal_record"
    assert scan_special("национальность; судимость") == "nationality"


INNOCENT = [
    # ru: loan-request vocabulary that shares letters with keywords
    "Клиент просит рассрочку, расходы выросли в 2 раза",
    "Гражданство: Казахстан. Партнёр по бизнесу будет поручителем",
    "Хочет заём 150 000 тенге на 30 дней, работает в ТОО",
    "Перезвонить после обеда, расчёт зарплаты 10 числа",
    "Разовый платёж, расписка получена",
    "Национальный банк повысил базовую ставку",
    "Ознакомлен с политикой конфиденциальности",
    "Политически значимое лицо: нет",  # PEP is an AML status, not a political view
    "Изменения в договоре, заключение договора в понедельник",
    "Арест на счёте снят судебным исполнителем, судебные расходы оплачены",
    "Коммунальные платежи оплачивает вовремя",
    "Профориентация пройдена, работает в секторе продаж",
    "Звонила Вера, сестра клиента",
    "Брат Ислам будет поручителем",
    "Перезвонить после праздника",
    "Мечтает о своей квартире",
    "Условия и сроки займа согласованы",
    "Пенсионер, пенсия 95 000",
    # kk
    "Клиент 30 күнге 100 000 теңге қарыз сұрайды",
    "Құпиялылық саясатымен таныстым",
    "Ұлттық банктің базалық мөлшерлемесі өсті",
    "Азаматтығы: Қазақстан. Жынысы: әйел",
    "Серіктесі кепілгер болады",
    "Дінмұхамед Қонаев көшесі, 12",
    "Сотқа жүгінген жоқ",
    # en
    "Citizenship: KZ, wants a loan for 30 days",
    "Third party consent received; partner works at a bank",
    "Privacy policy accepted, sex: female",
    "Customer raised a complaint, we traced the payment",
    "Community centre volunteer, likes racing bikes",
    "Nationwide courier, works in Churchill Street office",
]


@pytest.mark.parametrize("text", INNOCENT)
def test_innocent_loan_notes_do_not_hit(text: str) -> None:
    assert scan_special(text) is None


def test_ensure_no_special_names_field_and_category_never_the_text() -> None:
    text = "Вероисповедание: православная"
    with pytest.raises(SpecialCategoryFound) as caught:
        ensure_no_special("note", text)
    assert caught.value.field == "note"
    assert caught.value.category == "religious_beliefs"
    assert str(caught.value) == (
        "field 'note' mentions a special category of personal data (religious_beliefs); "
        "it is not processed (policy 3.2)"
    )
    assert "православ" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_ensure_no_special_passes_innocent_text() -> None:
    ensure_no_special("note", INNOCENT[0])


def test_scanning_is_fast() -> None:
    note = " ".join(INNOCENT)  # about 1.5 KB of text without a hit
    start = time.perf_counter()
    for _ in range(200):
        assert scan_special(note) is None
    per_scan = (time.perf_counter() - start) / 200
    assert per_scan < 0.005  # typically ~0.1 ms; generous for slow CI machines
