"""The default catalogue: data categories (policy 5.1), subject categories (policy 3.3) and
purposes (policy 2.1), and :class:`Catalogue`, which validates what is collected.

Purposes and their defaults (the operator can override retention, ``with_retention``):

- ``contract`` (P1): basis CONTRACT (policy 6.1: a contract the subject is party to, or
  concluding one on the subject's initiative, which is what a loan request is). Uses what a
  lender needs to identify the borrower and assess the loan. Retention 1825 days: 5 years,
  the record-keeping term of Kazakhstan's AML/CFT law for identification data and
  transaction records, counted here from collection.
- ``service_info`` (P2): basis CONSENT. Names and contacts, and the city for relevance.
  Retention 1095 days: 3 years, the general limitation period of the Civil Code of
  Kazakhstan, so the operator can still prove the consent if the contact is disputed.
- ``offers`` (P3): basis CONSENT, marketing. Adds what makes an offer relevant (income,
  employment, the loan asked for, age). Retention 365 days: a loan offer based on a
  year-old request is stale, and a yearly renewal keeps the consent fresh.
- ``statistics`` (P4): basis CONSENT. No names or contacts: only attributes for reports,
  which are depersonalised before use (LAW.md, Art. 17 p.1). 365 days, then depersonalised.
- ``direct_marketing`` (P5): basis CONSENT, marketing. Contacts, interests, the web user
  data and social links. 365 days, as P3.

P3 and P5 are ``marketing``: they stop at once when consent is withdrawn (policy 6.5).
``military_registration`` and ``disability`` are catalogued because policy 5.1 lists them,
but no default purpose uses them: a micro-loan lead needs neither (minimisation,
policy 4.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from qorgau.catalog.model import DataCategory, LegalBasis, Purpose, Sensitivity, SubjectCategory

__all__ = [
    "DATA_CATEGORIES",
    "PURPOSES",
    "SUBJECT_CATEGORIES",
    "USER_DATA_FIELDS",
]

LOW, MEDIUM, HIGH = Sensitivity.LOW, Sensitivity.MEDIUM, Sensitivity.HIGH


def _labels(kk: str, ru: str, en: str) -> Mapping[str, str]:
    return MappingProxyType({"kk": kk, "ru": ru, "en": en})


def _cat(
    code: str,
    labels: tuple[str, str, str],
    sensitivity: Sensitivity,
    group: str,
    kind: str = "text",
    *,
    max_length: int = 200,
    blind_index: str | None = None,
    choices: tuple[str, ...] = (),
    aliases: Mapping[str, str] | None = None,
    min_value: int | None = None,
    max_value: int | None = None,
) -> DataCategory:
    return DataCategory(
        code=code,
        labels=_labels(*labels),
        sensitivity=sensitivity,
        group=group,
        blind_index=blind_index,
        max_length=max_length,
        kind=kind,
        choices=choices,
        aliases=MappingProxyType(dict(aliases or {})),
        min_value=min_value,
        max_value=max_value,
    )


_SEX_ALIASES = {
    "m": "male", "f": "female", "man": "male", "woman": "female",
    "м": "male", "ж": "female", "муж": "male", "жен": "female", "мужской": "male",
    "женский": "female", "мужчина": "male", "женщина": "female",
    "ер": "male", "әйел": "female", "ер адам": "male", "еркек": "male", "әйел адам": "female",
}  # fmt: skip
_MARITAL_ALIASES = {
    "unmarried": "single", "холост": "single", "холостой": "single", "не женат": "single",
    "не замужем": "single", "женат": "married", "замужем": "married",
    "разведен": "divorced", "разведена": "divorced", "в разводе": "divorced",
    "вдовец": "widowed", "вдова": "widowed",
    "бойдақ": "single", "үйленбеген": "single", "тұрмыс құрмаған": "single",
    "үйленген": "married", "тұрмыста": "married", "тұрмыс құрған": "married",
    "ажырасқан": "divorced", "жесір": "widowed", "тұл": "widowed",
}  # fmt: skip
_EDUCATION_ALIASES = {
    "school": "secondary", "среднее": "secondary", "среднее общее": "secondary",
    "среднее специальное": "vocational", "средне специальное": "vocational",
    "среднее профессиональное": "vocational", "техническое и профессиональное": "vocational",
    "неоконченное высшее": "incomplete_higher", "незаконченное высшее": "incomplete_higher",
    "высшее": "higher", "послевузовское": "postgraduate",
    "орта": "secondary", "орта арнаулы": "vocational", "арнаулы орта": "vocational",
    "техникалық және кәсіптік": "vocational", "аяқталмаған жоғары": "incomplete_higher",
    "жоғары": "higher", "жоғары оқу орнынан кейінгі": "postgraduate",
}  # fmt: skip
_EMPLOYMENT_ALIASES = {
    "работаю": "employed", "работает": "employed", "трудоустроен": "employed",
    "трудоустроена": "employed", "по найму": "employed",
    "ип": "self_employed", "индивидуальный предприниматель": "self_employed",
    "самозанятый": "self_employed", "самозанятая": "self_employed",
    "безработный": "unemployed", "безработная": "unemployed", "не работаю": "unemployed",
    "пенсионер": "retired", "пенсионерка": "retired", "pensioner": "retired",
    "студент": "student", "студентка": "student",
    "жұмыс істеймін": "employed", "жалдамалы": "employed", "жеке кәсіпкер": "self_employed",
    "жұмыссыз": "unemployed", "зейнеткер": "retired", "білім алушы": "student",
}  # fmt: skip
_ID_DOCUMENT_ALIASES = {
    "удостоверение личности": "id_card", "удостоверение": "id_card", "жеке куәлік": "id_card",
    "жеке басын куәландыратын куәлік": "id_card",
    "паспорт": "passport", "паспорт рк": "passport", "төлқұжат": "passport",
    "вид на жительство": "residence_permit", "ықтиярхат": "residence_permit",
    "удостоверение лица без гражданства": "stateless_certificate",
    "азаматтығы жоқ адамның куәлігі": "stateless_certificate",
    "иностранный паспорт": "foreign_passport", "шетелдік төлқұжат": "foreign_passport",
}  # fmt: skip
_DISABILITY_ALIASES = {
    "no": "none", "нет": "none", "жоқ": "none",
    "1": "group_1", "2": "group_2", "3": "group_3",
    "1 группа": "group_1", "2 группа": "group_2", "3 группа": "group_3",
    "i группа": "group_1", "ii группа": "group_2", "iii группа": "group_3",
    "1 топ": "group_1", "2 топ": "group_2", "3 топ": "group_3",
}  # fmt: skip
_MILITARY_ALIASES = {
    "военнообязанный": "liable", "военнообязанная": "liable",
    "не военнообязанный": "not_liable", "невоеннообязанный": "not_liable",
    "не военнообязанная": "not_liable", "невоеннообязанная": "not_liable",
    "әскери міндетті": "liable", "әскери міндетті емес": "not_liable",
}  # fmt: skip
_DEVICE_ALIASES = {
    "pc": "desktop", "computer": "desktop", "компьютер": "desktop", "smartphone": "mobile",
    "phone": "mobile", "смартфон": "mobile", "телефон": "mobile", "планшет": "tablet",
}  # fmt: skip

_CATEGORIES = (
    # identity
    _cat("last_name", ("Тегі", "Фамилия", "Last name"), MEDIUM, "identity", "name",
         max_length=100),
    _cat("first_name", ("Аты", "Имя", "First name"), MEDIUM, "identity", "name",
         max_length=100),
    _cat("patronymic", ("Әкесінің аты", "Отчество", "Patronymic"), MEDIUM, "identity", "name",
         max_length=100),
    _cat("birth_date", ("Туған күні", "Дата рождения", "Date of birth"), MEDIUM, "identity",
         "date", max_length=10),
    _cat("birth_place", ("Туған жері", "Место рождения", "Place of birth"), MEDIUM,
         "identity", "place"),
    _cat("sex", ("Жынысы", "Пол", "Sex"), MEDIUM, "identity", "enum",
         choices=("male", "female"), aliases=_SEX_ALIASES, max_length=6),
    _cat("citizenship", ("Азаматтығы", "Гражданство", "Citizenship"), LOW, "identity",
         "country", max_length=2),
    _cat("iin", ("ЖСН (жеке сәйкестендіру нөмірі)", "ИИН (индивидуальный идентификационный "
         "номер)", "IIN (individual identification number)"), HIGH, "identity", "iin",
         max_length=12, blind_index="iin"),
    # identity document
    _cat("id_document_type", ("Жеке басын куәландыратын құжаттың түрі",
         "Вид документа, удостоверяющего личность", "Identity document type"), LOW,
         "id_document", "enum", max_length=30,
         choices=("id_card", "passport", "residence_permit", "stateless_certificate",
                  "foreign_passport"), aliases=_ID_DOCUMENT_ALIASES),
    _cat("id_document_number", ("Жеке басын куәландыратын құжаттың нөмірі",
         "Номер документа, удостоверяющего личность", "Identity document number"), HIGH,
         "id_document", "document_number", max_length=20, blind_index="id_document_number"),
    _cat("id_document_issuer", ("Құжатты берген орган", "Орган, выдавший документ",
         "Issuing authority"), LOW, "id_document", max_length=200),
    _cat("id_document_issue_date", ("Құжаттың берілген күні", "Дата выдачи документа",
         "Document issue date"), MEDIUM, "id_document", "date", max_length=10),
    # contact
    _cat("phone", ("Телефон нөмірі", "Номер телефона", "Phone number"), MEDIUM, "contact",
         "phone", max_length=12, blind_index="phone"),
    _cat("email", ("Электрондық пошта", "Электронная почта", "E-mail"), MEDIUM, "contact",
         "email", max_length=254, blind_index="email"),
    _cat("social_links", ("Әлеуметтік желілердегі парақшалар", "Страницы в социальных "
         "сетях", "Social network pages"), MEDIUM, "contact", "url_list", max_length=1000),
    # address
    _cat("registration_address", ("Тіркелген мекенжайы", "Адрес регистрации",
         "Registration address"), MEDIUM, "address", max_length=300),
    _cat("residential_address", ("Тұратын мекенжайы", "Адрес проживания",
         "Residential address"), MEDIUM, "address", max_length=300),
    _cat("city", ("Қала", "Город", "City"), LOW, "address", "place", max_length=100),
    # social
    _cat("marital_status", ("Отбасылық жағдайы", "Семейное положение", "Marital status"),
         MEDIUM, "social", "enum", choices=("single", "married", "divorced", "widowed"),
         aliases=_MARITAL_ALIASES, max_length=10),
    _cat("social_status", ("Әлеуметтік жағдайы", "Социальное положение", "Social status"),
         MEDIUM, "social", max_length=200),
    _cat("education", ("Білімі", "Образование", "Education"), LOW, "social", "enum",
         choices=("secondary", "vocational", "incomplete_higher", "higher", "postgraduate"),
         aliases=_EDUCATION_ALIASES, max_length=20),
    _cat("profession", ("Мамандығы", "Профессия", "Profession"), LOW, "social",
         max_length=200),
    _cat("military_registration", ("Әскери есепке алу", "Воинский учёт",
         "Military registration"), MEDIUM, "social", "enum", choices=("liable", "not_liable"),
         aliases=_MILITARY_ALIASES, max_length=10),
    # health-adjacent: only the disability group, never a diagnosis (minimisation)
    _cat("disability", ("Мүгедектік тобы", "Инвалидность (группа)", "Disability (group)"),
         HIGH, "social", "enum", choices=("none", "group_1", "group_2", "group_3"),
         aliases=_DISABILITY_ALIASES, max_length=7),
    # employment
    _cat("employment", ("Жұмыспен қамтылуы", "Занятость", "Employment"), LOW, "employment",
         "enum", choices=("employed", "self_employed", "unemployed", "retired", "student"),
         aliases=_EMPLOYMENT_ALIASES, max_length=13),
    _cat("workplace", ("Жұмыс орны", "Место работы", "Workplace"), MEDIUM, "employment",
         max_length=200),
    _cat("position", ("Лауазымы", "Должность", "Position"), MEDIUM, "employment",
         max_length=200),
    # financial
    _cat("income", ("Айлық табысы (теңге)", "Ежемесячный доход (тенге)",
         "Monthly income (KZT)"), HIGH, "financial", "money", max_length=12, min_value=0),
    _cat("property_status", ("Мүліктік жағдайы", "Имущественное положение",
         "Property status"), HIGH, "financial", max_length=500),
    _cat("bank_account", ("Банк шоты (IBAN)", "Банковский счёт (IBAN)",
         "Bank account (IBAN)"), HIGH, "financial", "iban", max_length=20),
    _cat("pension_account", ("Зейнетақы шотының нөмірі", "Номер пенсионного счёта",
         "Pension account number"), HIGH, "financial", "account_number", max_length=20),
    _cat("credit_history", ("Несие тарихы", "Кредитная история", "Credit history"), HIGH,
         "financial", max_length=2000),
    # the loan request (lead form)
    _cat("loan_amount", ("Қарыз сомасы (теңге)", "Сумма займа (тенге)", "Loan amount (KZT)"),
         MEDIUM, "loan", "money", max_length=12, min_value=1000, max_value=100_000_000),
    _cat("loan_term_days", ("Қарыз мерзімі (күн)", "Срок займа (дней)", "Loan term (days)"),
         LOW, "loan", "integer", max_length=4, min_value=1, max_value=3650),
    # interests
    _cat("interests", ("Қызығушылықтары", "Интересы", "Interests"), MEDIUM, "interests",
         max_length=1000),
    # user data (web), collected only under the cookie/tracking consent (policy 5.1)
    _cat("ip_address", ("IP-мекенжай", "IP-адрес", "IP address"), MEDIUM, "user_data", "ip",
         max_length=45),
    _cat("cookie_id", ("Cookie идентификаторы", "Идентификатор cookie", "Cookie identifier"),
         MEDIUM, "user_data", "token", max_length=256),
    _cat("location", ("Орналасқан жері", "Местоположение", "Location"), MEDIUM, "user_data",
         max_length=200),
    _cat("os", ("Операциялық жүйе (түрі мен нұсқасы)", "Операционная система (тип и "
         "версия)", "Operating system (type and version)"), LOW, "user_data", max_length=100),
    _cat("browser", ("Браузер (түрі мен нұсқасы)", "Браузер (тип и версия)",
         "Browser (type and version)"), LOW, "user_data", max_length=100),
    _cat("device_type", ("Құрылғы түрі", "Тип устройства", "Device type"), LOW, "user_data",
         "enum", choices=("desktop", "mobile", "tablet", "other"), aliases=_DEVICE_ALIASES,
         max_length=7),
    _cat("screen_resolution", ("Экран ажыратымдылығы", "Разрешение экрана",
         "Screen resolution"), LOW, "user_data", "resolution", max_length=11),
    _cat("referrer", ("Пайдаланушы келген сайт", "Сайт, с которого пришёл пользователь",
         "Referring site"), LOW, "user_data", "url", max_length=2000),
    _cat("ad_source", ("Жарнама көзі", "Рекламный источник", "Advertising source"), LOW,
         "user_data", max_length=200),
    _cat("languages", ("ОЖ мен браузер тілдері", "Языки ОС и браузера",
         "OS and browser languages"), LOW, "user_data", "languages", max_length=200),
    # staff / call-centre note (like every text field, scanned for special categories: 3.2)
    _cat("note", ("Қызметкер жазбасы", "Заметка сотрудника", "Staff note"), HIGH, "note",
         max_length=2000),
)  # fmt: skip

DATA_CATEGORIES: Mapping[str, DataCategory] = MappingProxyType({c.code: c for c in _CATEGORIES})
"""Every data category of policy 5.1 (and the lead form's loan attributes), by code."""

USER_DATA_FIELDS: frozenset[str] = frozenset(
    code for code, category in DATA_CATEGORIES.items() if category.group == "user_data"
)

SUBJECT_CATEGORIES: Mapping[str, SubjectCategory] = MappingProxyType(
    {
        code: SubjectCategory(
            code, _labels(kk, ru, en), source="public_source" if code == "public_source" else None
        )
        for code, kk, ru, en in (
            ("potential_borrower", "Әлеуетті қарыз алушылар", "Потенциальные заёмщики",
             "Potential borrowers"),
            ("refused_borrower", "Қарыз беруден бас тартылған қарыз алушылар",
             "Заёмщики, которым отказано в займе", "Borrowers refused a loan"),
            ("refused_borrower_guarantor",
             "Қарыз беруден бас тартылған қарыз алушылардың кепілгерлері",
             "Поручители заёмщиков, которым отказано в займе",
             "Guarantors of borrowers refused a loan"),
            ("potential_borrower_guarantor", "Әлеуетті қарыз алушылардың кепілгерлері",
             "Поручители потенциальных заёмщиков", "Guarantors of potential borrowers"),
            ("contractor", "Оператормен азаматтық-құқықтық шарт жасасқан жеке тұлғалар",
             "Физические лица, заключившие с оператором гражданско-правовые договоры",
             "Individuals under civil-law contracts with the operator"),
            ("prospective_client",
             "Оператордың немесе оның делдалдығы арқылы үшінші тұлғалардың қызметтерін "
             "сатып алған немесе сатып алуға ниеттенген жеке тұлғалар",
             "Лица, приобретавшие или намеревавшиеся приобрести услуги оператора или "
             "третьих лиц при его посредничестве",
             "Individuals who bought or meant to buy services of the operator or, through "
             "it, of third parties"),
            ("public_source", "Деректері жалпыға қолжетімді жеке тұлғалар",
             "Лица, чьи персональные данные общедоступны",
             "Individuals whose data is publicly available"),
            ("other_consented",
             "Келісім берген немесе деректерін өңдеу заңнамада көзделген өзге тұлғалар",
             "Иные лица, давшие согласие или обработка данных которых предусмотрена законом",
             "Others who consented or whose processing the law requires"),
        )
    }
)  # fmt: skip
"""The subject categories of policy 3.3."""

_NAMES = frozenset({"last_name", "first_name", "patronymic"})
_CONTACTS = frozenset({"phone", "email"})
_LOAN = frozenset({"loan_amount", "loan_term_days"})

PURPOSES: Mapping[str, Purpose] = MappingProxyType(
    {
        purpose.code: purpose
        for purpose in (
            Purpose(
                code="contract", number="P1",
                labels=_labels("Шарттар жасасу және орындау",
                               "Заключение и исполнение договоров",
                               "Concluding and performing contracts"),
                legal_basis=LegalBasis.CONTRACT,
                fields=_NAMES | _CONTACTS | _LOAN | {
                    "birth_date", "birth_place", "registration_address", "residential_address",
                    "citizenship", "sex", "id_document_type", "id_document_number",
                    "id_document_issuer", "id_document_issue_date", "iin", "workplace",
                    "position", "income", "employment", "bank_account", "marital_status",
                    "social_status", "property_status", "education", "profession",
                    "pension_account", "credit_history", "city", "note",
                },
                retention_days=1825, marketing=False,
            ),
            Purpose(
                code="service_info", number="P2",
                labels=_labels("Оператордың қызметтері мен жаңа өнімдері туралы хабардар ету",
                               "Информирование об услугах и новых продуктах оператора",
                               "Informing about the operator's services and new products"),
                legal_basis=LegalBasis.CONSENT,
                fields=_NAMES | _CONTACTS | {"city", "note"},
                retention_days=1095, marketing=False,
            ),
            Purpose(
                code="offers", number="P3",
                labels=_labels("Өнімдер мен қызметтер ұсыныстары туралы хабардар ету",
                               "Информирование о предложениях продуктов и услуг",
                               "Informing about offers of products and services"),
                legal_basis=LegalBasis.CONSENT,
                fields=_NAMES | _CONTACTS | _LOAN | {
                    "city", "income", "employment", "birth_date", "note",
                },
                retention_days=365, marketing=True,
            ),
            Purpose(
                code="statistics", number="P4",
                labels=_labels("Статистикалық есептілік", "Статистическая отчётность",
                               "Statistical reports"),
                legal_basis=LegalBasis.CONSENT,
                fields=_LOAN | USER_DATA_FIELDS | {
                    "birth_date", "sex", "city", "residential_address", "income",
                    "employment", "citizenship",
                },
                retention_days=365, marketing=False,
            ),
            Purpose(
                code="direct_marketing", number="P5",
                labels=_labels("Байланыс құралдары арқылы тікелей байланыс жасап тауарларды, "
                               "жұмыстарды, қызметтерді жылжыту",
                               "Продвижение товаров, работ, услуг путём прямых контактов "
                               "с помощью средств связи",
                               "Promoting goods, works and services by direct contact"),
                legal_basis=LegalBasis.CONSENT,
                fields=_NAMES | _CONTACTS | USER_DATA_FIELDS | {
                    "interests", "city", "social_links",
                },
                retention_days=365, marketing=True,
            ),
            Purpose(
                code="subject_request", number="L1",
                labels=_labels("Дербес деректер субъектісінің сұрауларына жауап беру",
                               "Ответы на запросы субъектов персональных данных",
                               "Answering data subjects' requests"),
                # The operator's legal duty (LAW.md Art. 25): only the data protection
                # officer reads under it, to build access reports and act on requests.
                legal_basis=LegalBasis.LAW,
                fields=_NAMES | _CONTACTS | _LOAN | USER_DATA_FIELDS | {
                    "birth_date", "birth_place", "registration_address", "residential_address",
                    "citizenship", "sex", "id_document_type", "id_document_number",
                    "id_document_issuer", "id_document_issue_date", "iin", "workplace",
                    "position", "income", "employment", "bank_account", "marital_status",
                    "social_status", "property_status", "education", "profession",
                    "pension_account", "credit_history", "city", "note", "interests",
                    "social_links",
                },
                retention_days=1095, marketing=False, clause="4.2.1",
            ),
        )
    }
)  # fmt: skip
"""The purposes of policy 2.1 with their default basis, fields and retention."""
