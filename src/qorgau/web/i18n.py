"""UI strings of the public site in Kazakh, Russian and English.

Each entry is ``key: (kk, ru, en)``. Field labels come from here (form wording) and data
category names, purposes and special categories from the catalogue, which carries its own
kk/ru/en labels. Error messages are keyed by the stable reason codes of the catalogue and
the intake model (``iin.checksum``, ``iin.under_age``...), never by English text.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from qorgau.catalog import SPECIAL_CATEGORIES

LANGUAGES: tuple[str, ...] = ("kk", "ru", "en")
DEFAULT_LANGUAGE = "ru"
_I = {lang: i for i, lang in enumerate(LANGUAGES)}

LANGUAGE_NAMES: Mapping[str, str] = MappingProxyType(
    {"kk": "Қазақша", "ru": "Русский", "en": "English"}
)

_T: dict[str, tuple[str, str, str]] = {
    # -- frame ---------------------------------------------------------------------------
    "site.tagline": (
        "Микронесиеге өтінім — деректеріңіз қорғалған",
        "Заявка на микрокредит — ваши данные под защитой",
        "Apply for a micro-loan — with your data protected",
    ),
    "skip": ("Негізгі мазмұнға өту", "Перейти к содержанию", "Skip to content"),
    "nav.label": ("Негізгі мәзір", "Основное меню", "Main menu"),
    "nav.home": ("Басты бет", "Главная", "Home"),
    "nav.apply": ("Өтінім беру", "Подать заявку", "Apply"),
    "nav.policy": ("Құпиялылық саясаты", "Политика конфиденциальности", "Privacy policy"),
    "lang.label": ("Тіл", "Язык", "Language"),
    "footer.operator": (
        "Дербес деректер операторы",
        "Оператор персональных данных",
        "Personal data operator",
    ),
    "footer.bin": ("БСН", "БИН", "BIN"),
    "footer.cookies": ("Cookie баптаулары", "Настройки cookie", "Cookie settings"),
    "footer.versions": (
        "Саясаттың бұрынғы нұсқалары",
        "Предыдущие версии политики",
        "Earlier versions of the policy",
    ),
    # -- cookie banner and settings --------------------------------------------------------
    "banner.title": ("Cookie файлдары", "Файлы cookie", "Cookies"),
    "banner.text": (
        "Сайттың жұмысына қажетті cookie файлдарын ғана пайдаланамыз. Сіздің рұқсатыңызбен "
        "сайтқа кірулер статистикасын да (аналитика) жинаймыз. Таңдауыңызды кез келген "
        "уақытта өзгерте аласыз.",
        "Мы используем только cookie, необходимые для работы сайта. С вашего разрешения мы "
        "также собираем статистику посещений (аналитика). Вы можете изменить выбор в любое "
        "время.",
        "We use only the cookies the site needs to work. With your permission we also "
        "collect visit statistics (analytics). You can change your choice at any time.",
    ),
    "banner.accept_all": ("Барлығына рұқсат беру", "Разрешить все", "Accept all"),
    "banner.reject_all": ("Барлығынан бас тарту", "Отклонить все", "Reject all"),
    "banner.choose": ("Өзім таңдаймын", "Выбрать самостоятельно", "Let me choose"),
    "cookies.title": ("Cookie баптаулары", "Настройки cookie", "Cookie settings"),
    "cookies.intro": (
        "Қай cookie санаттарына рұқсат беретініңізді таңдаңыз. Таңдауыңыз кездейсоқ "
        "идентификатормен серверде сақталады: бұл сіздің келісіміңіздің дәлелі. Cookie "
        "файлында тек осы идентификатор болады.",
        "Выберите, какие категории cookie вы разрешаете. Ваш выбор сохраняется на сервере "
        "под случайным идентификатором как подтверждение согласия; в самом cookie хранится "
        "только этот идентификатор.",
        "Choose which categories of cookies you allow. Your choice is recorded on our "
        "server under a random identifier, as proof of your consent; the cookie itself "
        "holds only that identifier.",
    ),
    "cookies.necessary": ("Қажетті", "Необходимые", "Strictly necessary"),
    "cookies.necessary.text": (
        "Формаларды қорғау (CSRF) және сіздің cookie таңдауыңызды есте сақтау үшін. Оларсыз "
        "сайт жұмыс істемейді, сондықтан оларды өшіру мүмкін емес.",
        "Защита форм (CSRF) и запоминание вашего выбора cookie. Без них сайт не работает, "
        "поэтому их нельзя отключить.",
        "Protecting forms (CSRF) and remembering your cookie choice. The site cannot work "
        "without them, so they cannot be switched off.",
    ),
    "cookies.always_on": ("Әрқашан қосулы", "Всегда включены", "Always on"),
    "cookies.analytics": ("Аналитика", "Аналитика", "Analytics"),
    "cookies.analytics.text": (
        "Кірулер статистикасы: операциялық жүйе мен браузердің түрі, құрылғы түрі, сіз "
        "келген сайт, жарнама көзі, браузер тілі. IP-мекенжай сақталмайды, тек оның "
        "күнделікті өзгеретін кілтпен есептелген хэші ғана. Деректер {days} күн сақталады.",
        "Статистика посещений: тип операционной системы и браузера, тип устройства, сайт, "
        "с которого вы пришли, рекламный источник, язык браузера. IP-адрес не сохраняется, "
        "только его хэш с ключом, который меняется каждый день. Данные хранятся {days} дн.",
        "Visit statistics: operating system and browser type, device type, the site you "
        "came from, the advertising source and the browser language. Your IP address is not "
        "stored, only a keyed hash of it under a key that changes daily. Kept for {days} "
        "days.",
    ),
    "cookies.marketing": ("Маркетинг", "Маркетинг", "Marketing"),
    "cookies.marketing.text": (
        "Жарнаманы бағалауға арналған cookie. Қазір сайтта ондай cookie жоқ; таңдауыңыз "
        "сақталады және олар пайда болса, қолданылады.",
        "Cookie для оценки рекламы. Сейчас на сайте таких cookie нет; ваш выбор сохраняется "
        "и будет применён, если они появятся.",
        "Cookies for measuring advertising. The site sets none today; your choice is "
        "recorded and will apply if any are added.",
    ),
    "cookies.allow": ("Рұқсат беремін", "Разрешаю", "Allow"),
    "cookies.save": ("Таңдауды сақтау", "Сохранить выбор", "Save my choice"),
    "cookies.current": (
        "Сіздің қазіргі таңдауыңыз {at} сақталған: аналитика — {analytics}, маркетинг — "
        "{marketing}.",
        "Ваш текущий выбор сохранён {at}: аналитика — {analytics}, маркетинг — {marketing}.",
        "Your current choice was recorded on {at}: analytics — {analytics}, marketing — "
        "{marketing}.",
    ),
    "cookies.none_yet": (
        "Сіз әлі таңдау жасаған жоқсыз: тек қажетті cookie файлдары қолданылады.",
        "Вы ещё не сделали выбор: используются только необходимые cookie.",
        "You have not chosen yet: only strictly necessary cookies are used.",
    ),
    "cookies.saved": ("Таңдауыңыз сақталды.", "Ваш выбор сохранён.", "Your choice was saved."),
    "yes": ("иә", "да", "yes"),
    "no": ("жоқ", "нет", "no"),
    # -- home ----------------------------------------------------------------------------
    "home.title": (
        "Микронесиеге өтінімді бір жерден беріңіз",
        "Заявка на микрокредит в одном месте",
        "One request for a micro-loan",
    ),
    "home.lead": (
        "Өтінімді толтырыңыз: біз оны микроқаржы ұйымдарына жібереміз (сіздің келісіміңізбен "
        "ғана) және сізге ұсыныстарды табуға көмектесеміз.",
        "Заполните заявку: мы передадим её микрофинансовым организациям (только с вашего "
        "согласия) и поможем найти предложения.",
        "Fill in one request: we pass it on to micro-finance organisations (only with your "
        "consent) and help you find offers.",
    ),
    "home.cta": ("Өтінім беру", "Подать заявку", "Apply now"),
    "home.steps": ("Бұл қалай жұмыс істейді", "Как это работает", "How it works"),
    "home.step1": (
        "Өтінімді толтырыңыз: 5 минуттан аспайды.",
        "Заполните заявку — это займёт не больше 5 минут.",
        "Fill in the request: it takes five minutes at most.",
    ),
    "home.step2": (
        "Қандай келісімдер беретініңізді өзіңіз таңдаңыз — әрқайсысы бөлек.",
        "Сами выберите, какие согласия даёте, — каждое отдельно.",
        "Choose which consents you give — each one separately.",
    ),
    "home.step3": (
        "Телефонға немесе поштаға келген кодпен растаңыз да, өтінім нөмірін алыңыз.",
        "Подтвердите кодом из SMS или письма и получите номер заявки.",
        "Confirm with the code we send by SMS or e-mail, and get a reference number.",
    ),
    "home.privacy": ("Деректеріңізді қалай қорғаймыз", "Как мы защищаем ваши данные",
                     "How we protect your data"),
    "home.privacy.text": (
        "Деректеріңіз шифрланған түрде сақталады, әр әрекет өзгертілмейтін журналға "
        "жазылады, ал ерекше санаттағы деректерді (ұлты, діні, денсаулығы, соттылығы және "
        "т.б.) біз мүлдем өңдемейміз. Толығырақ — құпиялылық саясатында.",
        "Данные хранятся в зашифрованном виде, каждое действие с ними записывается в "
        "неизменяемый журнал, а особые категории данных (национальность, религия, "
        "судимость и др.) мы не обрабатываем вовсе. Подробнее — в политике "
        "конфиденциальности.",
        "Your data is stored encrypted, every action on it is written to a tamper-evident "
        "log, and we never process special categories of data (ethnic origin, religion, "
        "criminal record and the like). Read more in the privacy policy.",
    ),
    # -- the form ----------------------------------------------------------------------------
    "apply.title": ("Микронесиеге өтінім", "Заявка на микрокредит", "Micro-loan request"),
    "apply.intro": (
        "* белгісі бар өрістерді толтыру міндетті. Деректер тек өтінімді қарау үшін "
        "(сіздің бастамаңыз бойынша шарт жасасу) және төменде өзіңіз белгілеген мақсаттар "
        "үшін өңделеді.",
        "Поля со знаком * обязательны. Данные обрабатываются для рассмотрения заявки "
        "(заключение договора по вашей инициативе) и только для тех целей, которые вы сами "
        "отметите ниже.",
        "Fields marked * are required. Your data is processed to consider the request "
        "(concluding a contract at your initiative) and only for the purposes you tick "
        "below.",
    ),
    "apply.errors": (
        "Өтінімде қателер бар. Төмендегі өрістерді түзетіңіз:",
        "В заявке есть ошибки. Исправьте поля ниже:",
        "There are problems with your request. Please correct these fields:",
    ),
    "apply.about": ("Сіз туралы", "О вас", "About you"),
    "apply.contacts": ("Байланыс деректері", "Контакты", "Contact details"),
    "apply.loan": ("Қарыз және табыс", "Заём и доход", "Loan and income"),
    "apply.required": ("міндетті", "обязательно", "required"),
    "field.last_name": ("Тегі", "Фамилия", "Last name"),
    "field.first_name": ("Аты", "Имя", "First name"),
    "field.patronymic": ("Әкесінің аты (бар болса)", "Отчество (если есть)",
                         "Patronymic (if any)"),
    "field.phone": ("Ұялы телефон нөмірі", "Мобильный телефон", "Mobile phone"),
    "field.iin": ("ЖСН", "ИИН", "IIN (individual identification number)"),
    "field.email": ("Электрондық пошта", "Электронная почта", "E-mail"),
    "field.city": ("Қала", "Город", "City"),
    "field.loan_amount": ("Қарыз сомасы, теңге", "Сумма займа, тенге", "Loan amount, KZT"),
    "field.loan_term_days": ("Қарыз мерзімі, күн", "Срок займа, дней", "Loan term, days"),
    "field.income": ("Айлық табыс, теңге", "Ежемесячный доход, тенге",
                     "Monthly income, KZT"),
    "field.employment": ("Жұмыспен қамтылуы", "Занятость", "Employment"),
    "field.note": ("Түсініктеме (міндетті емес)", "Комментарий (необязательно)",
                   "Comment (optional)"),
    "field.consent": ("Келісімдер", "Согласия", "Consents"),
    "field.channel": ("Кодты жіберу тәсілі", "Способ получения кода", "Where to send the code"),
    "hint.phone": ("Мысалы: +7 701 234 56 78", "Например: +7 701 234 56 78",
                   "For example: +7 701 234 56 78"),
    "hint.iin": ("12 цифр, жеке куәлікте көрсетілген", "12 цифр, указан в удостоверении личности",
                 "12 digits, shown on your ID card"),
    "hint.email": ("Мысалы: name@example.com", "Например: name@example.com",
                   "For example: name@example.com"),
    "hint.loan_amount": ("{min}-ден {max} теңгеге дейін", "От {min} до {max} тенге",
                         "From {min} to {max} tenge"),
    "hint.loan_term_days": ("{min}-ден {max} күнге дейін", "От {min} до {max} дней",
                            "From {min} to {max} days"),
    "hint.note": (
        "Ұлтыңыз, дініңіз, денсаулығыңыз, соттылығыңыз сияқты мәліметтерді жазбаңыз.",
        "Не указывайте сведения о национальности, религии, здоровье, судимости и т. п.",
        "Do not mention ethnic origin, religion, health, criminal record and the like.",
    ),
    "employment.choose": ("— таңдаңыз —", "— выберите —", "— choose —"),
    "employment.employed": ("Жалдамалы жұмыс істеймін", "Работаю по найму", "Employed"),
    "employment.self_employed": ("Жеке кәсіпкер", "ИП / самозанятый", "Self-employed"),
    "employment.unemployed": ("Жұмыс істемеймін", "Не работаю", "Not working"),
    "employment.retired": ("Зейнеткермін", "Пенсионер", "Retired"),
    "employment.student": ("Білім алушымын", "Студент", "Student"),
    "apply.consents": ("Келісімдер (міндетті емес)", "Согласия (необязательно)",
                       "Consents (optional)"),
    "apply.consents.intro": (
        "Тек келісетін тармақтарды белгілеңіз. Өтінім оларсыз да қаралады. Әр келісімді "
        "кез келген уақытта кері қайтарып алуға болады.",
        "Отметьте только то, с чем согласны. Заявка будет рассмотрена и без этих согласий. "
        "Любое согласие можно отозвать в любое время.",
        "Tick only what you agree to. Your request is considered without these consents "
        "too. You may withdraw any consent at any time.",
    ),
    "apply.policy_note": (
        "Өтінімді жібере отырып, сіз {link} танысқаныңызды растайсыз.",
        "Отправляя заявку, вы подтверждаете, что ознакомились с {link}.",
        "By sending the request you confirm that you have read the {link}.",
    ),
    "apply.policy_link": ("құпиялылық саясатымен", "политикой конфиденциальности",
                          "privacy policy"),
    "apply.channel": (
        "Растау кодын қайда жіберейік?",
        "Куда отправить код подтверждения?",
        "Where should we send the confirmation code?",
    ),
    "channel.phone": ("Телефонға SMS", "SMS на телефон", "SMS to my phone"),
    "channel.email": ("Электрондық поштаға", "На электронную почту", "To my e-mail"),
    "apply.submit": ("Код алу", "Получить код", "Get the code"),
    # -- confirmation ---------------------------------------------------------------------
    "confirm.title": ("Өтінімді растаңыз", "Подтвердите заявку", "Confirm your request"),
    "confirm.sent": (
        "{to} мекенжайына 6 цифрдан тұратын код жібердік.",
        "Мы отправили 6-значный код на {to}.",
        "We sent a 6-digit code to {to}.",
    ),
    "confirm.sent.phone": (
        "Телефоныңызға 6 цифрдан тұратын код жібердік.",
        "Мы отправили 6-значный код на ваш телефон.",
        "We sent a 6-digit code to your phone.",
    ),
    "confirm.sent.email": (
        "Электрондық поштаңызға 6 цифрдан тұратын код жібердік.",
        "Мы отправили 6-значный код на вашу почту.",
        "We sent a 6-digit code to your e-mail.",
    ),
    "confirm.code": ("Растау коды", "Код подтверждения", "Confirmation code"),
    "confirm.hint": (
        "6 цифр. Код 10 минут жарамды.",
        "6 цифр. Код действует 10 минут.",
        "6 digits. The code is valid for 10 minutes.",
    ),
    "confirm.note": (
        "Код енгізілмейінше, ешбір келісім тіркелмейді.",
        "Пока код не введён, ни одно согласие не записывается.",
        "No consent is recorded until you enter the code.",
    ),
    "confirm.submit": ("Растау", "Подтвердить", "Confirm"),
    "confirm.restart": ("Өтінімді қайта толтыру", "Заполнить заявку заново",
                        "Fill in the request again"),
    # -- done ------------------------------------------------------------------------------
    "done.title": ("Өтінім қабылданды", "Заявка принята", "Request received"),
    "done.reference": ("Өтінім нөмірі", "Номер заявки", "Reference number"),
    "done.text": (
        "Нөмірді сақтап қойыңыз: өтінім туралы хабарласқанда оны атаңыз.",
        "Сохраните номер: назовите его, если будете обращаться по заявке.",
        "Keep this number: quote it whenever you contact us about the request.",
    ),
    "done.consents": ("Сіз берген келісімдер:", "Вы дали согласия:", "Consents you gave:"),
    "done.no_consents": (
        "Сіз қосымша келісім берген жоқсыз.",
        "Вы не давали дополнительных согласий.",
        "You gave no optional consents.",
    ),
    "done.withdraw": (
        "Келісімді кері қайтарып алу немесе деректеріңіз туралы білу үшін операторға "
        "хабарласыңыз: {operator}, {address}.",
        "Чтобы отозвать согласие или узнать о своих данных, обратитесь к оператору: "
        "{operator}, {address}.",
        "To withdraw a consent or to learn about your data, contact the operator: "
        "{operator}, {address}.",
    ),
    "consent.transfer": ("Серіктестерге беру", "Передача партнёрам", "Transfer to partners"),
    # -- policy ----------------------------------------------------------------------------
    "policy.title": ("Құпиялылық саясаты", "Политика конфиденциальности", "Privacy policy"),
    "policy.version": (
        "Нұсқа {id}, жарияланған күні {date}",
        "Версия {id}, опубликована {date}",
        "Version {id}, published on {date}",
    ),
    "policy.old": (
        "Бұл саясаттың бұрынғы нұсқасы. Қолданыстағы нұсқа: {link}.",
        "Это предыдущая версия политики. Действующая версия: {link}.",
        "This is an earlier version of the policy. The current version: {link}.",
    ),
    "policy.versions": ("Саясат нұсқалары", "Версии политики", "Policy versions"),
    "policy.current": ("қолданыста", "действующая", "current"),
    "policy.none": (
        "Саясат әлі жарияланған жоқ.",
        "Политика ещё не опубликована.",
        "The policy has not been published yet.",
    ),
    "policy.missing_language": (
        "Бұл нұсқаның мәтіні осы тілде жоқ.",
        "Текста этой версии на этом языке нет.",
        "This version has no text in this language.",
    ),
    # -- errors ----------------------------------------------------------------------------
    "error.title": ("Қате", "Ошибка", "Error"),
    "error.back": ("Басты бетке оралу", "Вернуться на главную", "Back to the home page"),
    "error.403": (
        "Форманың мерзімі өтіп кетті немесе ол басқа беттен жіберілді. Бетті жаңартып, "
        "қайталап көріңіз.",
        "Срок действия формы истёк или она отправлена с другой страницы. Обновите "
        "страницу и попробуйте ещё раз.",
        "The form has expired or was sent from another page. Please reload the page and "
        "try again.",
    ),
    "error.404": ("Бет табылмады.", "Страница не найдена.", "Page not found."),
    "error.413": ("Жіберілген деректер тым үлкен.", "Отправлено слишком много данных.",
                  "Too much data was sent."),
    "error.429": (
        "Сұраулар тым көп. {seconds} секундтан кейін қайталап көріңіз.",
        "Слишком много запросов. Попробуйте снова через {seconds} с.",
        "Too many requests. Please try again in {seconds} seconds.",
    ),
    "error.codes": (
        "Бұл байланысқа растау кодтары тым көп жіберілді. Кейінірек қайталап көріңіз.",
        "На этот контакт отправлено слишком много кодов подтверждения. Попробуйте позже.",
        "Too many confirmation codes were sent to this contact. Please try again later.",
    ),
    "error.send": (
        "Кодты таңдалған тәсілмен жіберу мүмкін болмады. Басқа тәсілді таңдаңыз немесе "
        "кейінірек қайталаңыз.",
        "Не удалось отправить код выбранным способом. Выберите другой способ или "
        "попробуйте позже.",
        "We could not send the code that way. Choose another way or try again later.",
    ),
    # -- field errors, by reason code ------------------------------------------------------
    "err.invalid": ("Мәнді тексеріңіз.", "Проверьте значение.", "Please check this value."),
    "err.value.empty": ("Осы өрісті толтырыңыз.", "Заполните это поле.",
                        "Please fill in this field."),
    "err.text.too_long": ("Мән тым ұзын.", "Слишком длинное значение.", "This is too long."),
    "err.text.format": (
        "Мәтінде рұқсат етілмеген таңбалар бар.",
        "Текст содержит недопустимые символы.",
        "The text contains characters that are not allowed.",
    ),
    "err.name.format": (
        "Тек әріптерді, бос орынды, сызықша мен апострофты пайдаланыңыз.",
        "Используйте только буквы, пробел, дефис и апостроф.",
        "Use only letters, spaces, hyphens and apostrophes.",
    ),
    "err.place.format": (
        "Елді мекеннің атауын көрсетіңіз.",
        "Укажите название населённого пункта.",
        "Enter the name of a city or town.",
    ),
    "err.iin.format": ("ЖСН дәл 12 цифрдан тұрады.", "ИИН состоит ровно из 12 цифр.",
                       "An IIN is exactly 12 digits."),
    "err.iin.century": (
        "ЖСН-ды тексеріңіз: оның 7-цифры 1-ден 6-ға дейін болуы керек.",
        "Проверьте ИИН: его 7-я цифра должна быть от 1 до 6.",
        "Check the IIN: its 7th digit must be from 1 to 6.",
    ),
    "err.iin.birth_date": (
        "ЖСН-ды тексеріңіз: алғашқы 6 цифры — туған күн (ЖЖААКК).",
        "Проверьте ИИН: первые 6 цифр — дата рождения (ГГММДД).",
        "Check the IIN: its first 6 digits are the date of birth (YYMMDD).",
    ),
    "err.iin.checksum": (
        "ЖСН қате енгізілген: бақылау цифры сәйкес келмейді.",
        "ИИН введён с ошибкой: не совпадает контрольная цифра.",
        "The IIN has a typo: its check digit does not match.",
    ),
    "err.iin.under_age": (
        "Өтінімді тек 18 жасқа толған адам бере алады.",
        "Подать заявку может только лицо, достигшее 18 лет.",
        "You must be at least 18 years old to apply.",
    ),
    "err.phone.format": (
        "Нөмірді +7 7XX XXX XX XX форматында енгізіңіз.",
        "Введите номер в формате +7 7XX XXX XX XX.",
        "Enter the number as +7 7XX XXX XX XX.",
    ),
    "err.phone.country": (
        "Тек Қазақстан нөмірлері қабылданады (+7 7XX).",
        "Принимаются только номера Казахстана (+7 7XX).",
        "Only Kazakhstan numbers (+7 7XX) are accepted.",
    ),
    "err.phone.range": (
        "Қазақстанда мұндай оператор немесе қала коды жоқ.",
        "В Казахстане нет такого кода оператора или города.",
        "No Kazakhstan mobile operator or area has this code.",
    ),
    "err.email.format": (
        "Электрондық пошта мекенжайын енгізіңіз, мысалы name@example.com.",
        "Введите адрес электронной почты, например name@example.com.",
        "Enter an e-mail address such as name@example.com.",
    ),
    "err.email.too_long": (
        "Электрондық пошта мекенжайы тым ұзын.",
        "Слишком длинный адрес электронной почты.",
        "This e-mail address is too long.",
    ),
    "err.money.negative": ("Сома теріс бола алмайды.", "Сумма не может быть отрицательной.",
                           "The amount cannot be negative."),
    "err.money.format": (
        "Соманы теңгемен бүтін санмен көрсетіңіз.",
        "Укажите сумму целым числом тенге.",
        "Enter a whole number of tenge.",
    ),
    "err.money.range": (
        "Сома {min}-ден {max} теңгеге дейін болуы керек.",
        "Сумма должна быть от {min} до {max} тенге.",
        "The amount must be from {min} to {max} tenge.",
    ),
    "err.money.min": (
        "Сома кемінде {min} теңге болуы керек.",
        "Сумма должна быть не меньше {min} тенге.",
        "The amount must be at least {min} tenge.",
    ),
    "err.integer.format": ("Бүтін санды енгізіңіз.", "Введите целое число.",
                           "Enter a whole number."),
    "err.integer.range": (
        "Мән {min}-ден {max}-ге дейін болуы керек.",
        "Значение должно быть от {min} до {max}.",
        "The value must be from {min} to {max}.",
    ),
    "err.enum.choice": ("Тізімнен таңдаңыз.", "Выберите вариант из списка.",
                        "Choose one of the options."),
    "err.special_category": (
        "Дербес деректердің ерекше санатына жататын мәліметтерді көрсетпеңіз ({category}): "
        "біз оларды өңдемейміз.",
        "Не указывайте сведения, относящиеся к особой категории персональных данных "
        "({category}): мы их не обрабатываем.",
        "Please leave out information of a special category of personal data ({category}): "
        "we do not process it.",
    ),
    "err.consent.unknown": ("Белгісіз келісім.", "Неизвестное согласие.", "Unknown consent."),
    "err.channel.choice": (
        "Кодты қайда жіберу керектігін таңдаңыз.",
        "Выберите, куда отправить код.",
        "Choose where to send the code.",
    ),
    "err.code.wrong": (
        "Код қате. Қалған әрекет саны: {left}.",
        "Неверный код. Осталось попыток: {left}.",
        "Wrong code. Attempts left: {left}.",
    ),
    "err.code.expired": (
        "Кодтың мерзімі өтті. Өтінімді қайта жіберіңіз.",
        "Срок действия кода истёк. Отправьте заявку ещё раз.",
        "The code has expired. Please send the request again.",
    ),
    "err.code.used": (
        "Бұл код пайдаланылып қойған.",
        "Этот код уже использован.",
        "This code has already been used.",
    ),
    "err.code.attempts": (
        "Қате әрекеттер тым көп. Өтінімді қайта жіберіңіз.",
        "Слишком много неверных попыток. Отправьте заявку ещё раз.",
        "Too many wrong attempts. Please send the request again.",
    ),
    "err.code.unknown": (
        "Растау сұрауы табылмады. Өтінімді қайта жіберіңіз.",
        "Запрос на подтверждение не найден. Отправьте заявку ещё раз.",
        "We could not find this confirmation. Please send the request again.",
    ),
    "err.code.format": ("Код 6 цифрдан тұрады.", "Код состоит из 6 цифр.",
                        "The code is 6 digits."),
    "err.code.terms_changed": (
        "Код енгізіліп жатқанда келісім мәтіндері өзгерді. Өтінімді қайта жіберіңіз.",
        "Пока вы вводили код, тексты согласий изменились. Отправьте заявку ещё раз.",
        "The consent texts changed while you were entering the code. Please send the "
        "request again.",
    ),
    # -- rights page (policy 4.2.1, 4.2.2) ---------------------------------------------------
    "nav.rights": ("Деректерге құқықтарыңыз", "Ваши права на данные", "Your data rights"),
    "home.rights": (
        "Біз сіз туралы қандай деректерді сақтайтынымызды білгіңіз келе ме? Оларды түзетуді, "
        "бұғаттауды, жоюды сұрағыңыз немесе келісімді кері қайтарып алғыңыз келе ме?",
        "Хотите узнать, какие данные о вас мы храним, исправить, заблокировать или "
        "уничтожить их, отозвать согласие?",
        "Want to see what data we hold about you, have it corrected, blocked or destroyed, "
        "or withdraw a consent?",
    ),
    "rights.title": ("Деректерге құқықтарыңыз", "Ваши права на персональные данные",
                     "Your rights over your personal data"),
    "rights.intro": (
        "Сұрауды таңдаңыз және бізде бар телефон нөмірін немесе электрондық поштаны "
        "көрсетіңіз. Біз оған бір реттік код жібереміз: код сіздің тұлғаңызды растайды. "
        "Заңда белгіленген мерзімде жауап береміз.",
        "Выберите запрос и укажите телефон или электронную почту, которые у нас уже есть. "
        "Мы отправим на них одноразовый код: он подтверждает вашу личность. Мы ответим в "
        "срок, установленный законом.",
        "Choose a request and give the phone number or e-mail address we already hold for "
        "you. We send a one-time code to it: the code proves who you are. We answer within "
        "the time the law sets.",
    ),
    "rights.kind": ("Не істегіңіз келеді?", "Что вы хотите сделать?",
                    "What would you like to do?"),
    "rights.kind.access": ("Деректерімді көру", "Узнать, какие мои данные у вас есть",
                           "See my data"),
    "rights.kind.rectify": ("Деректерімді түзету", "Исправить мои данные", "Correct my data"),
    "rights.kind.block": ("Деректерімді өңдеуді бұғаттау", "Заблокировать обработку моих данных",
                          "Block processing of my data"),
    "rights.kind.unblock": ("Бұғатты алу", "Снять блокировку", "Lift the block"),
    "rights.kind.destroy": ("Деректерімді жою", "Уничтожить мои данные", "Destroy my data"),
    "rights.kind.withdraw_consent": ("Келісімді кері қайтарып алу", "Отозвать согласие",
                                     "Withdraw a consent"),
    "rights.kind.required": ("Сұрауды таңдаңыз.", "Выберите запрос.", "Choose a request."),
    "rights.contact_kind": (
        "Кодты қайда жіберейік?",
        "Куда отправить код?",
        "Where should we send the code?",
    ),
    "rights.contact": (
        "Бізде бар телефон нөміріңіз немесе электрондық поштаңыз",
        "Ваш телефон или электронная почта, которые у нас есть",
        "Your phone number or e-mail address that we hold",
    ),
    "rights.contact.hint": (
        "Код тек бізде бұрыннан бар байланысқа жіберіледі.",
        "Код отправляется только на контакт, который у нас уже есть.",
        "The code goes only to a contact we already hold.",
    ),
    "rights.errors": (
        "Сұрауда қателер бар. Төмендегі өрістерді түзетіңіз:",
        "В запросе есть ошибки. Исправьте поля ниже:",
        "There are problems with your request. Please correct these fields:",
    ),
    "rights.submit": ("Код алу", "Получить код", "Get the code"),
    "rights.code.title": ("Кодты енгізіңіз", "Введите код", "Enter the code"),
    "rights.code.sent": (
        "Егер бізде {to} байланысы бойынша деректер болса, біз оған 6 цифрдан тұратын код "
        "жібердік.",
        "Если у нас есть данные для контакта {to}, мы отправили на него 6-значный код.",
        "If we hold data for {to}, we have sent a 6-digit code to it.",
    ),
    "rights.code.none": (
        "Код келмесе, бізде бұл байланыс бойынша деректер жоқ болуы мүмкін немесе ол қате "
        "жазылған: тексеріп, сұрауды қайта жіберіңіз.",
        "Если код не пришёл, возможно, данных по этому контакту у нас нет или он введён с "
        "ошибкой: проверьте его и отправьте запрос ещё раз.",
        "If no code arrives, we may hold no data for this contact, or it was mistyped: "
        "check it and send the request again.",
    ),
    "rights.code.wrong": (
        "Код қате немесе оның мерзімі өтті. Тексеріңіз немесе сұрауды қайта жіберіңіз.",
        "Код неверный или больше не действует. Проверьте его или отправьте запрос заново.",
        "The code is wrong or no longer valid. Check it, or send the request again.",
    ),
    "rights.restart": ("Сұрауды қайта жіберу", "Отправить запрос заново",
                       "Send the request again"),
    "rights.expired": (
        "Бұл қадамның мерзімі өтті. Сұрауды қайта жіберіңіз.",
        "Срок этого шага истёк. Отправьте запрос заново.",
        "This step has expired. Please send the request again.",
    ),
    "rights.done.title": ("Сұрау қабылданды", "Запрос принят", "Request received"),
    "rights.done.text": (
        "Сұрауыңыз ({kind}) тіркелді. Біз оған {date} дейін жауап береміз.",
        "Ваш запрос ({kind}) зарегистрирован. Мы ответим на него до {date}.",
        "Your request ({kind}) is recorded. We will answer it by {date}.",
    ),
    "rights.done.keep": (
        "Нөмірді сақтап қойыңыз: сұрау туралы хабарласқанда оны атаңыз.",
        "Сохраните номер: назовите его, если будете обращаться по запросу.",
        "Keep this number: quote it whenever you contact us about the request.",
    ),
    "rights.rectify.title": ("Деректерді түзету", "Исправление данных", "Correct your data"),
    "rights.rectify.intro": (
        "Тек қате деректердің дұрыс мәнін енгізіңіз, қалғанын бос қалдырыңыз. Өзгерістерді "
        "қызметкер тексеріп енгізеді.",
        "Введите правильное значение только для неверных данных, остальные поля оставьте "
        "пустыми. Изменения проверит и внесёт сотрудник.",
        "Enter the correct value only for the data that is wrong, and leave the rest empty. "
        "A member of staff checks and applies the changes.",
    ),
    "rights.rectify.empty": (
        "Кемінде бір түзетілген мәнді енгізіңіз.",
        "Введите хотя бы одно исправленное значение.",
        "Enter at least one corrected value.",
    ),
    "rights.rectify.submit": ("Түзетулерді жіберу", "Отправить исправления",
                              "Send the corrections"),
    "rights.withdraw.title": ("Келісімді кері қайтарып алу", "Отзыв согласия",
                              "Withdraw a consent"),
    "rights.withdraw.purpose": (
        "Қай келісімді кері қайтарып аласыз?",
        "Какое согласие вы отзываете?",
        "Which consent do you withdraw?",
    ),
    "rights.withdraw.submit": ("Келісімді кері қайтарып алу", "Отозвать согласие",
                               "Withdraw the consent"),
    "rights.report.title": ("Сіздің деректеріңіз", "Ваши данные", "Your data"),
    "rights.report.intro": (
        "{operator} сіз туралы сақтайтын барлық деректер, {at} жағдай бойынша. Сұрау "
        "нөмірі: {reference}.",
        "Все данные о вас, которые хранит {operator}, по состоянию на {at}. Номер запроса: "
        "{reference}.",
        "Everything {operator} holds about you, as of {at}. Request number: {reference}.",
    ),
    "rights.report.closed": (
        "Сұрауыңызға жауап берілді және ол жабылды. Бұл бетті сақтап немесе басып шығарып "
        "алыңыз: қайта ашу үшін жаңа сұрау қажет.",
        "Ваш запрос выполнен и закрыт. Сохраните или распечатайте эту страницу: чтобы "
        "увидеть её снова, понадобится новый запрос.",
        "Your request is answered and closed. Save or print this page: to see it again you "
        "will need a new request.",
    ),
    "rights.report.restricted": (
        "Деректерге қол жеткізу заң бойынша шектелген: {ground}.",
        "Доступ к данным ограничен по закону: {ground}.",
        "Access to the data is restricted by law: {ground}.",
    ),
    "rights.report.values": ("Біз сақтайтын деректер", "Данные, которые мы храним",
                             "Data we hold"),
    "rights.report.no_values": ("Біз сіз туралы ешқандай мән сақтамаймыз.",
                                "Мы не храним о вас никаких значений.",
                                "We hold no values about you."),
    "rights.report.consents": ("Сіздің келісімдеріңіз", "Ваши согласия", "Your consents"),
    "rights.report.no_consents": ("Сіз келісім берген жоқсыз.", "Вы не давали согласий.",
                                  "You have given no consents."),
    "rights.report.recipients": (
        "Деректеріңізді кім алды",
        "Кому передавались ваши данные",
        "Who received your data",
    ),
    "rights.report.no_recipients": (
        "Деректеріңіз ешкімге берілген жоқ.",
        "Ваши данные никому не передавались.",
        "Your data has not been passed to anyone.",
    ),
    "rights.report.rights": ("Сіздің құқықтарыңыз және біздің мерзімдеріміз",
                             "Ваши права и наши сроки", "Your rights and our deadlines"),
    "rights.report.rights.intro": (
        "Кез келген уақытта жаңа сұрау жібере аласыз; біз төмендегі мерзімдерде жауап "
        "береміз. Сонымен қатар уәкілетті органға немесе сотқа жүгінуге құқығыңыз бар.",
        "Вы можете отправить новый запрос в любое время; мы ответим в сроки ниже. Вы также "
        "вправе обратиться в уполномоченный орган или в суд.",
        "You may send a new request at any time; we answer within the terms below. You may "
        "also turn to the authorised body or to a court.",
    ),
    "rights.col.field": ("Дерек", "Данные", "Data"),
    "rights.col.value": ("Мәні", "Значение", "Value"),
    "rights.col.purpose": ("Мақсаты", "Цель", "Purpose"),
    "rights.col.basis": ("Құқықтық негізі", "Правовое основание", "Legal basis"),
    "rights.col.source": ("Көзі", "Источник", "Source"),
    "rights.col.collected": ("Жиналған уақыты", "Когда собраны", "Collected"),
    "rights.col.retained": ("Сақтау мерзімі", "Хранятся до", "Kept until"),
    "rights.col.state": ("Күйі", "Состояние", "State"),
    "rights.col.granted": ("Берілген уақыты", "Дано", "Given"),
    "rights.col.expires": ("Қолданылу мерзімі", "Действует до", "Valid until"),
    "rights.col.recipients": ("Алушылар", "Получатели", "Recipients"),
    "rights.col.right": ("Құқық", "Право", "Right"),
    "rights.col.term": ("Мерзім", "Срок", "Term"),
    "rights.col.law": ("Заң нормасы", "Норма закона", "Law"),
    "basis.consent": ("Келісім", "Согласие", "Consent"),
    "basis.contract": ("Шарт", "Договор", "Contract"),
    "basis.law": ("Заң талабы", "Требование закона", "Required by law"),
    "consent.state.live": ("Қолданыста", "Действует", "In force"),
    "consent.state.withdrawn": ("Кері қайтарылған", "Отозвано", "Withdrawn"),
    "consent.state.expired": ("Мерзімі өткен", "Истекло", "Expired"),
    "consent.state.ended": ("Тоқтатылған", "Прекращено", "Ended"),
    "right.access": ("Деректеріңіз туралы ақпарат алу", "Получить сведения о своих данных",
                     "Get information about your data"),
    "right.refuse": ("Бас тарту себебі туралы дәлелді жауап алу",
                     "Получить мотивированный отказ", "Receive a motivated refusal"),
    "right.rectify": ("Деректерді түзету", "Исправить данные", "Have your data corrected"),
    "right.block": ("Деректерді бұғаттау", "Заблокировать данные", "Have your data blocked"),
    "right.unblock": ("Бұғатты алу", "Снять блокировку", "Have a block lifted"),
    "right.destroy": ("Деректерді жою", "Уничтожить данные", "Have your data destroyed"),
    "right.stop_unlawful": ("Заңсыз өңдеуді тоқтату", "Прекратить неправомерную обработку",
                            "Stop unlawful processing"),
    "right.withdrawn_destroy": (
        "Келісім кері қайтарылғаннан кейін деректерді жою",
        "Уничтожить данные после отзыва согласия",
        "Destroy data after a consent is withdrawn",
    ),
    "right.transfer_notice": (
        "Деректердің үшінші тұлғаға берілгені туралы хабар алу",
        "Получить уведомление о передаче данных третьему лицу",
        "Be told when your data is passed to a third party",
    ),
    "unit.working_days": ("{n} жұмыс күні", "{n} раб. дн.", "{n} working days"),
    "unit.days": ("{n} күн", "{n} дн.", "{n} days"),
    "unit.hours": ("{n} сағат", "{n} ч", "{n} hours"),
    # -- staff console ---------------------------------------------------------------------
    "console.title": ("Қызметкер консолі", "Консоль сотрудника", "Staff console"),
    "console.login.title": ("Кіру", "Вход", "Sign in"),
    "console.username": ("Пайдаланушы аты", "Имя пользователя", "Username"),
    "console.password": ("Құпиясөз", "Пароль", "Password"),
    "console.login.submit": ("Кіру", "Войти", "Sign in"),
    "console.login.failed": (
        "Пайдаланушы аты немесе құпиясөз қате.",
        "Неверное имя пользователя или пароль.",
        "Wrong username or password.",
    ),
    "console.logout": ("Шығу", "Выйти", "Sign out"),
    "console.signed_in": ("{user} ({role})", "{user} ({role})", "{user} ({role})"),
    "console.forbidden": (
        "Сіздің рөліңіз субъектілердің сұрауларымен жұмыс істей алмайды.",
        "Ваша роль не может работать с запросами субъектов.",
        "Your role may not handle data-subject requests.",
    ),
    "console.stats.forbidden": (
        "Сіздің рөліңіз статистиканы пайдалана алмайды.",
        "Ваша роль не может работать со статистикой.",
        "Your role may not use statistics.",
    ),
    "console.nav.requests": ("Сұраулар", "Запросы", "Requests"),
    "console.nav.stats": ("Статистика", "Статистика", "Statistics"),
    "console.stats.title": ("Статистика (k = {k})", "Статистика (k = {k})",
                            "Statistics (k = {k})"),
    "console.stats.intro": (
        "Тек иесіздендірілген фактілер: k-дан аз ұяшықтар жасырылады, жиынтықтар оларды "
        "ашпауы үшін қосымша жасыру қолданылады.",
        "Только обезличенные факты: ячейки меньше k скрыты, с дополнительным скрытием, чтобы "
        "их нельзя было вычислить по итогам.",
        "Depersonalised facts only: cells under k are withheld, with complementary "
        "suppression so totals cannot reveal them.",
    ),
    "console.stats.by": ("Топтау", "Группировать по", "Group by"),
    "console.stats.show": ("Көрсету", "Показать", "Show"),
    "console.stats.count": ("Саны", "Количество", "Count"),
    "console.stats.amount": ("Сомасы, ₸", "Сумма, ₸", "Amount, KZT"),
    "console.stats.withheld": ("жасырылған", "скрыто", "withheld"),
    "console.queue.title": ("Субъектілердің сұраулары", "Запросы субъектов",
                            "Data-subject requests"),
    "console.queue.intro": (
        "Мерзімі өткендері алдымен, содан кейін мерзімі жақындағандары. Уақыт: {zone}.",
        "Сначала просроченные, затем со сроком скоро. Время: {zone}.",
        "Overdue first, then due soon. Times in {zone}.",
    ),
    "console.queue.empty": ("Сұраулар жоқ.", "Запросов нет.", "No requests."),
    "console.queue.all": ("Жабылғандарын да көрсету", "Показать и закрытые",
                          "Show closed requests too"),
    "console.queue.open": ("Тек ашықтарын көрсету", "Показать только открытые",
                           "Show open requests only"),
    "console.col.reference": ("Нөмірі", "Номер", "Reference"),
    "console.col.kind": ("Түрі", "Вид", "Kind"),
    "console.col.status": ("Күйі", "Статус", "Status"),
    "console.col.channel": ("Арна", "Канал", "Channel"),
    "console.col.received": ("Түскені", "Получен", "Received"),
    "console.col.due": ("Мерзімі", "Срок", "Due"),
    "console.col.deadline": ("Мерзім бойынша", "По сроку", "Deadline"),
    "console.col.subject": ("Субъект", "Субъект", "Subject"),
    "console.col.verified": ("Расталған", "Подтверждён", "Verified"),
    "console.col.answered": ("Жауап берілген", "Отвечен", "Answered"),
    "console.col.closed": ("Жабылған", "Закрыт", "Closed"),
    "console.col.outcome": ("Нәтиже", "Результат", "Outcome"),
    "console.col.restriction": ("Қол жеткізуді шектеу", "Ограничение доступа",
                                "Access restriction"),
    "console.col.language": ("Тіл", "Язык", "Language"),
    "console.col.at": ("Уақыты", "Время", "When"),
    "console.col.actor": ("Кім", "Кто", "Who"),
    "console.col.event": ("Оқиға", "Событие", "Event"),
    "console.col.note": ("Ескертпе", "Примечание", "Note"),
    "console.badge.overdue": ("Мерзімі өтті", "Просрочен", "Overdue"),
    "console.badge.due_soon": ("Мерзімі жақын", "Срок скоро", "Due soon"),
    "console.badge.on_time": ("Мерзімінде", "В срок", "On time"),
    "console.badge.done": ("Аяқталды", "Завершён", "Done"),
    "console.kind.access": ("Қол жеткізу", "Доступ к данным", "Access"),
    "console.kind.rectify": ("Түзету", "Исправление", "Rectification"),
    "console.kind.block": ("Бұғаттау", "Блокирование", "Blocking"),
    "console.kind.unblock": ("Бұғатты алу", "Снятие блокировки", "Unblocking"),
    "console.kind.destroy": ("Жою", "Уничтожение", "Destruction"),
    "console.kind.withdraw_consent": ("Келісімді кері қайтару", "Отзыв согласия",
                                      "Consent withdrawal"),
    "console.status.received": ("Қабылданды", "Получен", "Received"),
    "console.status.verified": ("Тұлғасы расталды", "Личность подтверждена", "Verified"),
    "console.status.in_progress": ("Жұмыста", "В работе", "In progress"),
    "console.status.answered": ("Жауап берілді", "Отвечен", "Answered"),
    "console.status.refused": ("Бас тартылды", "Отказано", "Refused"),
    "console.status.closed": ("Жабылды", "Закрыт", "Closed"),
    "console.channel.web": ("Сайт", "Сайт", "Web site"),
    "console.channel.api": ("API", "API", "API"),
    "console.channel.phone": ("Телефон", "Телефон", "Phone"),
    "console.channel.paper": ("Қағаз", "Бумага", "Paper"),
    "console.channel.email": ("Электрондық пошта", "Эл. почта", "E-mail"),
    "console.request.title": ("Сұрау {reference}", "Запрос {reference}", "Request {reference}"),
    "console.events": ("Тарихы", "История", "History"),
    "console.actions": ("Әрекеттер", "Действия", "Actions"),
    "console.back": ("Кезекке оралу", "Назад к очереди", "Back to the queue"),
    "console.none": ("—", "—", "—"),
    "console.refused": ("Әрекет орындалмады:", "Действие не выполнено:",
                        "The action was refused:"),
    "console.action.verify": ("Тұлғаны растау", "Подтвердить личность", "Verify identity"),
    "console.verify.subject": ("Субъект идентификаторы", "Идентификатор субъекта",
                               "Subject id"),
    "console.verify.how": ("Тұлға қалай тексерілді", "Как проверена личность",
                           "How the identity was checked"),
    "console.action.start": ("Жұмысқа алу", "Взять в работу", "Start work"),
    "console.action.restrict": ("Қол жеткізуді шектеу", "Ограничить доступ", "Restrict access"),
    "console.restrict.ground": ("Заңдық негіз", "Правовое основание", "Legal ground"),
    "console.action.answer": ("Жауап беру", "Ответить", "Answer"),
    "console.answer.note": (
        "Субъект сайтта жіберген мәндер оның деректерімен бірге шифрланған; қолданатын "
        "мәндерді осында енгізіңіз.",
        "Значения, отправленные субъектом на сайте, зашифрованы вместе с его данными; "
        "введите здесь значения, которые нужно применить.",
        "Values the subject sent on the site are sealed with their data; enter here the "
        "values to apply.",
    ),
    "console.answer.field": ("Дерек {n}", "Данные {n}", "Data {n}"),
    "console.answer.value": ("Жаңа мән {n}", "Новое значение {n}", "New value {n}"),
    "console.answer.purpose": ("Кері қайтарылатын келісім", "Отзываемое согласие",
                               "Consent to withdraw"),
    "console.answer.choose": ("— таңдаңыз —", "— выберите —", "— choose —"),
    "console.action.refuse": ("Бас тарту", "Отказать", "Refuse"),
    "console.refuse.reason": ("Бас тарту себебі", "Причина отказа", "Reason"),
    "console.action.close": ("Жабу", "Закрыть", "Close"),
    "console.report": ("Қол жеткізу есебін алдын ала қарау", "Предпросмотр отчёта о данных",
                       "Access report preview"),
    "console.report.title": (
        "Қол жеткізу есебі — {reference}",
        "Отчёт о данных — {reference}",
        "Access report — {reference}",
    ),
    "console.report.note": (
        "Бұл оқу аудит журналына жазылады.",
        "Этот просмотр записан в журнал аудита.",
        "This read is recorded in the audit log.",
    ),
    # -- recipients, deliveries, transfers (console) ----------------------------------------
    "console.nav.recipients": ("Алушылар", "Получатели", "Recipients"),
    "console.nav.deliveries": ("Жеткізу", "Доставка", "Deliveries"),
    "console.recipients.title": ("Алушылар тізілімі", "Реестр получателей",
                                 "Recipient registry"),
    "console.recipients.storage": (
        "Дербес деректер сақталатын ел: {country}",
        "Персональные данные хранятся в стране: {country}",
        "Personal data is stored in: {country}",
    ),
    "console.recipients.intro": (
        "Деректер тек жарамды шарт бойынша және субъектінің келісімімен немесе заң негізінде "
        "беріледі. Басқа елдегі алушыға беру — трансшекаралық беру.",
        "Данные передаются только по действующему договору и с согласия субъекта либо по "
        "закону. Передача получателю в другой стране — трансграничная.",
        "Data is passed only under an agreement in force, with the subject's consent or on a "
        "legal ground. Passing it to a recipient in another country is cross-border.",
    ),
    "console.recipients.expiring": (
        "{n} шарттың мерзімі 30 күн ішінде аяқталады.",
        "Срок действия договоров, истекающих в течение 30 дней: {n}.",
        "Agreements ending within 30 days: {n}.",
    ),
    "console.recipients.empty": ("Тізілім бос.", "Реестр пуст.", "The registry is empty."),
    "console.col.legal_name": ("Атауы", "Наименование", "Organisation"),
    "console.col.bin": ("БСН", "БИН", "BIN"),
    "console.col.country": ("Ел", "Страна", "Country"),
    "console.col.delivery": ("Жеткізу тәсілі", "Способ доставки", "Delivery"),
    "console.col.agreement": ("Шарт", "Договор", "Agreement"),
    "console.col.valid": ("Қолданылу мерзімі", "Срок действия", "Valid"),
    "console.badge.cross_border": ("Трансшекаралық", "Трансграничная", "Cross-border"),
    "console.badge.expiring": ("Мерзімі жақында бітеді", "Скоро истекает", "Ends soon"),
    "console.badge.expired": ("Қолданыста емес", "Не действует", "Not in force"),
    "console.badge.inactive": ("Белсенді емес", "Неактивен", "Inactive"),
    "console.badge.no_agreement": ("Шарт жоқ", "Нет договора", "No agreement"),
    "console.recipients.by_law": ("Заң негізінде", "На основании закона", "On a legal ground"),
    "console.rkind.third_party": ("Үшінші тұлға", "Третье лицо", "Third party"),
    "console.rkind.processor": ("Өңдеуші", "Обработчик", "Processor"),
    "console.rkind.affiliate": ("Үлестес тұлға", "Аффилированное лицо", "Affiliate"),
    "console.rkind.state_body": ("Мемлекеттік орган", "Государственный орган", "State body"),
    "console.delivery.webhook": ("Webhook", "Webhook", "Webhook"),
    "console.delivery.pull": ("Серіктес өзі алады (API)", "Партнёр забирает сам (API)",
                              "Partner pulls (API)"),
    "console.delivery.none": ("Жеткізусіз", "Без доставки", "None"),
    "console.deliveries.title": ("Жеткізу кезегі", "Очередь доставки", "Delivery queue"),
    "console.deliveries.intro": (
        "Алдымен жеткізілмегендер мен қателер. Мазмұны көрсетілмейді. Уақыт: {zone}.",
        "Сначала недоставленные и ошибки. Содержимое не показывается. Время: {zone}.",
        "Dead letters and failures first. No content is shown. Times: {zone}.",
    ),
    "console.deliveries.empty": ("Кезек бос.", "Очередь пуста.", "The queue is empty."),
    "console.col.transfer": ("Беру", "Передача", "Transfer"),
    "console.col.recipient": ("Алушы", "Получатель", "Recipient"),
    "console.col.attempts": ("Әрекеттер", "Попытки", "Attempts"),
    "console.col.error": ("Қате", "Ошибка", "Error"),
    "console.col.created": ("Құрылды", "Создана", "Created"),
    "console.col.next": ("Келесі әрекет / аяқталды", "Следующая попытка / завершена",
                         "Next attempt / done"),
    "console.action.retry": ("Қайта жіберу", "Отправить повторно", "Retry"),
    "console.dstatus.pending": ("Кезекте", "В очереди", "Pending"),
    "console.dstatus.delivered": ("Жеткізілді", "Доставлено", "Delivered"),
    "console.dstatus.dead": ("Жеткізілмеді", "Не доставлено", "Dead letter"),
    "console.transfers.title": ("Деректерді беру тарихы", "История передачи данных",
                                "Transfer history"),
    "console.transfers.intro": (
        "Деректердің түрлері ғана көрсетіледі, мәндері емес. Уақыт: {zone}.",
        "Показаны только виды данных, не значения. Время: {zone}.",
        "Kinds of data only, never values. Times: {zone}.",
    ),
    "console.transfers.empty": ("Деректер берілмеген.", "Данные не передавались.",
                                "No data has been passed on."),
    "console.col.purpose": ("Мақсаты", "Цель", "Purpose"),
    "console.col.fields": ("Деректер", "Данные", "Data"),
    "console.col.basis": ("Негізі", "Основание", "Basis"),
    "console.col.acknowledged": ("Алғаны расталды", "Получение подтверждено", "Acknowledged"),
    "console.basis.consent": ("Субъектінің келісімі", "Согласие субъекта", "Subject's consent"),
    "console.basis.law": ("Заң", "Закон", "Law"),
    "console.tstatus.queued": ("Кезекте", "В очереди", "Queued"),
    "console.tstatus.delivered": ("Жеткізілді", "Доставлено", "Delivered"),
    "console.tstatus.fetched": ("Серіктес алды", "Получено партнёром", "Fetched"),
    "console.tstatus.acknowledged": ("Расталды", "Подтверждено", "Acknowledged"),
    "console.tstatus.dead": ("Жеткізілмеді", "Не доставлено", "Dead letter"),
    "console.tstatus.disclosed": ("Берілді", "Передано", "Disclosed"),
    "console.tstatus.withheld": ("Жіберілмеді (ереже тоқтатты)", "Не отправлено (остановлено "
                                 "правилом)", "Withheld (stopped by the rule)"),
    "console.outcome.issued": ("Қарыз берілді", "Заём выдан", "Loan issued"),
    "console.outcome.refused": ("Бас тартылды", "Отказано", "Refused"),
    "console.outcome.in_review": ("Қаралуда", "На рассмотрении", "In review"),
    "console.outcome.no_contact": ("Байланыс болмады", "Не удалось связаться", "No contact"),
}  # fmt: skip

MESSAGES: Mapping[str, tuple[str, str, str]] = MappingProxyType(_T)


def t(lang: str, key: str, **values: object) -> str:
    """The string ``key`` in ``lang`` with ``{name}`` placeholders filled."""
    text = MESSAGES[key][_I[lang]]
    return text.format(**values) if values else text


def error_message(lang: str, code: str, category: str | None = None, **values: object) -> str:
    """A field error in ``lang`` for a reason code; the special category, if any, by name."""
    key = f"err.{code}"
    if key not in MESSAGES:
        key = "err.invalid"
    if category is not None:
        labels = SPECIAL_CATEGORIES.get(category)
        values["category"] = labels[lang] if labels else category
    try:
        return t(lang, key, **values)
    except (KeyError, IndexError):  # a placeholder without a value: say it plainly
        return t(lang, "err.invalid")


def negotiate(accept_language: str) -> str:
    """The best of kk, ru, en for an Accept-Language header; ru when none fits."""
    best: tuple[float, int, str] | None = None
    for i, item in enumerate(accept_language[:512].split(",")):
        tag, _, params = item.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in _I:
            continue
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                continue
        if q <= 0:
            continue
        if best is None or (-q, i) < (-best[0], best[1]):
            best = (q, i, primary)
    return best[2] if best else DEFAULT_LANGUAGE
