"""The special-category scanner's words, by category, in Russian, Kazakh and English. Data.

A keyword is one or more word patterns separated by spaces (a phrase: each word within one
word of the one before, in the same clause), optionally ending in ``@name``: a context rule
of :mod:`qorgau.catalog.scanner` that decides an ambiguous word. Word patterns:

- ``word``: exactly this word; ``stem*``: a word starting with ``stem``;
- ``=lemma``: a Russian word whose lemma (any reading pymorphy3 gives) is ``lemma``;
- ``kk:stem``: a Kazakh stem with its inflections (plural, possessive, case, predicative
  endings), also typed with Russian letters (``қ`` as ``к``...); ``kk!:stem`` without that
  folding, where the folded stem would meet a Russian word (``нәсіл`` / ``насилие``);
- ``en:word``: an English word with its regular inflections (-s, -es, -ed, -ing, -ly);
- ``re:pattern``: a regular expression over the whole word.

Cyrillic patterns without Kazakh letters are matched on the word with Kazakh letters read as
their Russian look-alikes, so ``мусылман`` and ``мұсылман`` meet the same keyword. Everything
is lower case, ``ё`` as ``е``. Ambiguous everyday words are not keywords, or are keywords
with a rule: ``партия`` (a batch of goods), ``политика`` (a bank's policy), ``русский``
(the language), ``Ислам`` (a first name), the Kazakh ``саясат`` (policy), an ethnonym as
an attribute (``қазақ тілі``, ``корейская косметика``, ``a Korean car``), ``race`` (a car
race), ``протест`` (against a fine), a prison as a workplace (its guard), a mosque as a
landmark (``живу возле мечети``); ``суд``, ``срок``, ``дело``, ``вера``, ``заключение``,
``арест`` are not keywords at all. ``CUES`` are the words those rules look for.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["CUES", "KEYWORDS"]

KEYWORDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "race": (
        # ru
        "=раса", "=расовый", "расизм*", "расист*", "=цвет =кожа", "европеоид*", "монголоид*",
        "негроид*", "=негр", "=негритянка", "=мулат", "=мулатка", "=метис", "=метиска",
        "=темнокожий", "=чернокожий", "=азиатский =внешность", "=славянский =внешность",
        "=европейский =внешность", "=восточный =внешность",
        # kk
        "kk!:нәсіл", "нәсілдік", "нәсілшіл*", "kk:тері түс*",
        # en
        "en:race @race_en", "racial*", "racis*", "skin colour", "skin color",
        "skin colours", "skin colors", "en:colour of skin", "en:color of skin",
    ),
    "nationality": (
        # ru (citizenship, ``гражданство``, is an ordinary category: policy 5.1)
        "=национальность", "национальн* принадлежност*", "национальн* происхожден*",
        "национальн* меньшинств*", "этнич*", "=этнос", "=народность", "=русский @russian",
        "=нерусский", "=казах", "=казашка", "=уйгур", "=уйгурка", "=узбек", "=узбечка",
        "=кореец", "=кореянка", "=татарин", "=татарка", "=немец", "=немка", "=украинец",
        "=украинка", "=белорус", "=белоруска", "=дунганин", "=дунганка", "=чеченец",
        "=чеченка", "=ингуш", "=ингушка", "=таджик", "=таджичка", "=киргиз", "=киргизка",
        "=кыргыз", "=кыргызка", "=туркмен", "=туркменка", "=азербайджанец",
        "=азербайджанка", "=армянин", "=армянка", "=грузин", "=грузинка", "=еврей",
        "=еврейка", "=цыган", "=цыганка", "=поляк", "=полячка", "=курд", "=курдянка",
        "=башкир", "=башкирка", "=чуваш", "=чувашка", "=калмык", "=калмычка",
        "=каракалпак", "=славянин", "=славянка", "=кавказец",
        # an ethnonym adjective of a person or a family (уйгурская семья), not of a thing
        "=казахский @ethnic_adjective", "=уйгурский @ethnic_adjective",
        "=узбекский @ethnic_adjective", "=корейский @ethnic_adjective",
        "=татарский @ethnic_adjective", "=немецкий @ethnic_adjective",
        "=украинский @ethnic_adjective", "=дунганский @ethnic_adjective",
        "=чеченский @ethnic_adjective", "=таджикский @ethnic_adjective",
        "=киргизский @ethnic_adjective", "=кыргызский @ethnic_adjective",
        "=туркменский @ethnic_adjective", "=азербайджанский @ethnic_adjective",
        "=армянский @ethnic_adjective", "=грузинский @ethnic_adjective",
        "=еврейский @ethnic_adjective", "=цыганский @ethnic_adjective",
        "=курдский @ethnic_adjective", "=турецкий @ethnic_adjective",
        "=славянский @ethnic_adjective",
        # kk
        "kk:ұлт", "этникалық", "шығу тег*", "kk:қазақ @ethnonym_kk", "kk:орыс @ethnonym_kk",
        "kk:ұйғыр @ethnonym_kk", "kk:өзбек @ethnonym_kk", "kk:кәріс @ethnonym_kk",
        "kk:татар @ethnonym_kk", "kk:неміс @ethnonym_kk", "kk:дүнген @ethnonym_kk",
        "kk:тәжік @ethnonym_kk", "kk:қырғыз @ethnonym_kk", "kk:түрікмен @ethnonym_kk",
        "kk:армян @ethnonym_kk", "kk:еврей @ethnonym_kk",
        # en
        "en:nationality", "nationalities", "ethnic*", "national origin",
        "en:uyghur @ethnonym_en_plain", "en:uighur @ethnonym_en_plain",
        "en:dungan @ethnonym_en_plain", "kazakhs", "russians", "koreans", "uzbeks", "tatars",
        "germans", "ukrainians", "chechens", "tajiks", "uyghurs", "uighurs",
        "kazakh @ethnonym_en", "russian @ethnonym_en", "korean @ethnonym_en",
        "uzbek @ethnonym_en", "tatar @ethnonym_en", "german @ethnonym_en",
        "ukrainian @ethnonym_en", "chechen @ethnonym_en", "tajik @ethnonym_en",
        "kyrgyz @ethnonym_en", "turkmen @ethnonym_en", "armenian @ethnonym_en",
        "azerbaijani @ethnonym_en", "georgian @ethnonym_en", "jew", "jews",
    ),
    "political_views": (
        # ru: "политически значимое лицо" is an AML/CFT status (PEP), not a view
        "политическ* @not_pep", "=политика @politics_ru", "=политик @politics_ru",
        "=партия @party", "=партийный", "=партиец", "=беспартийный", "оппозиц*",
        "митинг*", "коммунист*", "политзаключ*", "политвзгляд*", "=либерал",
        "националист*", "=национализм", "=анархист", "=монархист", "=социалист",
        "=демократ", "=большевик", "=пикет", "=акция =протест", "=протест @protest",
        "=протестовать @protest", "антиправительствен*", "против =власть",
        "против =президент", "против =правительство", "против =режим",
        # kk
        "саяси @not_pep", "kk:саясат @politics_kk", "саясаткер*", "kk:партия @party",
        "kk:шеру", "наразылық акция*", "kk:билік қарсы", "kk:президент қарсы",
        "kk:үкімет қарсы",
        # en
        "politic* @not_pep", "en:party @party_en", "parties @party_en", "opposition",
        "communist*", "nationalist*", "left wing", "right wing", "en:protester",
        "en:activist @party_en", "anti government", "en:protest @protest",
        "against government", "against regime", "against president",
    ),
    "religious_beliefs": (
        # ru
        "религи*", "вероисповедан*", "вероучени*", "верующ*", "неверующ*", "мусульман*",
        "православ*", "католи*", "протестант*", "иудаизм*", "иудей*", "буддизм*",
        "буддист*", "индуизм*", "индуист*", "христиан*", "атеизм*", "атеист*",
        "агностик*", "re:ислам(?:а|у|ом|е)? @name_or_faith", "исламск*", "исламист*",
        "мечет* @worship_place", "церков* @worship_place", "церкв* @worship_place",
        "синагог* @worship_place", "намаз*", "хиджаб*", "никаб*", "никах*", "медресе*",
        "молитв*", "=молиться", "=помолиться", "=секта", "сектант*", "=хадж",
        "паломни*", "свидетел* иегов*", "философск* убеждени*", "философск* взгляд*",
        "мировоззрени*", "=рамадан", "re:ураз(?:а|ы|е|у|ой)", "=мулла", "=имам",
        "=священник", "=пастор", "=аллах", "=коран", "=библия", "кришнаит*",
        "баптист*", "пятидесятник*", "адвентист*", "мормон*", "сатанист*", "=язычник",
        "тенгрианств*", "=креститься",
        # kk
        "kk!:дін", "діни", "діндар*", "дінсіз*", "діншіл*", "мұсылман*", "мусылман*",
        "мешіт* @worship_place", "шіркеу* @worship_place", "наным*", "kk:ораза",
        "қажылық*", "құдай* сен*", "kk:ислам @name_or_faith",
        # en
        "religion*", "religious*", "en:muslim", "en:moslem", "islam @name_or_faith",
        "islamic*", "islamist*", "christianity", "christians", "christian @name_or_faith",
        "catholic*", "protestant*", "orthodox christian*", "russian orthodox", "jewish",
        "judaism", "buddhis*", "hindu", "hindus", "hinduism", "atheis*", "agnostic*",
        "church @worship_place", "churches @worship_place", "mosque* @worship_place",
        "synagogue* @worship_place", "hijab*", "jehovah*", "philosophical belief*",
        "en:pray", "prayer*", "en:believer", "quran", "koran", "bible", "ramadan",
        "en:imam", "en:mullah", "en:priest", "en:pastor", "baptist*", "mormon*",
        "evangelical*", "pentecostal*", "sikh*", "en:worship", "madras*", "namaz*",
        "baptis*", "baptiz*", "orthodox",
    ),
    "intimate_life": (
        # ru
        "интим*", "сексуальн*", "=секс", "гомосексуал*", "бисексуал*", "гетеросексуал*",
        "транссексуал*", "трансгендер*", "=гей", "лесби*", "лгбт*", "любовни*",
        "однопол*", "=половой =жизнь", "=половой =связь", "=половой =партнер",
        "=половой =ориентация", "=нетрадиционный =ориентация", "=измена",
        "=изменять =жена @adjacent", "=изменить =жена @adjacent",
        "=изменять =муж @adjacent", "=изменить =муж @adjacent",
        "=жена =изменить @adjacent", "=муж =изменить @adjacent",
        "=жена =изменять @adjacent", "=муж =изменять @adjacent",
        # kk
        "жыныстық қатынас*", "жыныстық өмір*", "жыныстық бағдар*", "kk:ойнас",
        "төсек қатынас*", "kk:гей", "бір жынысты", "опасыздық*", "жыныстық серікт*",
        # en
        "sexual*", "sex life", "en:sexlife", "intimate*", "intimacy", "gay", "gays",
        "lesbian*", "bisexual*", "homosexual*", "heterosexual*", "transgender*", "lgbt*",
        "en:lover", "love affair", "extramarital*", "sex partner", "sex partners",
        "same sex", "en:cheat on en:wife", "en:cheat on en:husband",
        "en:cheat on en:partner",
    ),
    "criminal_record": (
        # ru
        r"re:(?:не)?судим(?:ость|ости|остью|остей|остям|остями|остях|ый|ая|ое|ые|ого"
        r"|ой|ому|ым|ыми|ых|ую|а|о|ы)?",
        "осужден*", "=осудить", "уголовн*", "преступ*", "тюрьм* @not_staff",
        "тюрем* @not_staff", "исправительн* @not_staff", "=колония @not_staff",
        "сизо @not_staff", "=зек", "=зэк", "=приговор", "=приговорить", "амнисти*",
        "=отсидеть", "=отбывать =наказание", "=отбыть =наказание", "=отбывать =срок",
        "=отбыть =срок", "условн* срок*", "под следствием", "лишени* свобод*",
        "под стражей", "под стражу", "под арестом", "под домашним арестом",
        "=сидеть на зоне", "криминал*", "рецидивист*", "удо", "=сидеть за =кража",
        "=сидеть за =мошенничество", "=сидеть за =грабеж", "=сидеть за =разбой",
        "=сидеть за =убийство", "=сидеть за =наркотик", "=сидеть за =хулиганство",
        "=следственный =изолятор", "изолятор* временного содержания",
        # kk
        "соттал*", "соттыл*", "қылмыс*", "түрме* @not_staff", "абақты*",
        "бас бостандығ* айыр*", "жаза* өте*", "жаза* өтеу*", "kk:колония @not_staff",
        "сот үкім*", "тергеу изолятор*", "рақымшылық*",
        # en
        "criminal*", "convict*", "prison* @not_staff", "jail* @not_staff", "imprison*",
        "incarcerat*", "felon*", "en:sentence @sentence_en", "en:parole", "offender*",
        "en:inmate", "served time", "ex con", "en:probation @probation_en",
        "was arrested", "been arrested", "were arrested", "correctional* @not_staff",
        "pre trial", "amnest*",
    ),
})  # fmt: skip
"""Keywords by category code (the codes of :data:`qorgau.catalog.special.SPECIAL_CATEGORIES`)."""

CUES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    # a party is political with these near it, whatever else is there
    "party_political": (
        "=член", "=состоять", "=вступить", "=вступать", "=политический", "=партийный",
        "=лидер", "=съезд", "=выборы", "=голосовать", "=депутат", "=оппозиционный",
        "=правящий", "=коммунистический", "=демократический", "=либеральный",
        "=сторонник", "=агитатор", "=агитировать",
        "kk:мүше", "мүшесі*", "саяси", "kk:сайлау", "kk:депутат", "жақтаушы*",
        "political", "politics", "en:member", "membership", "en:join", "ruling",
        "opposition", "communist", "democratic", "republican", "labour", "conservative",
        "liberal", "en:vote", "en:supporter", "en:campaign", "en:rally", "en:election",
        "en:activist",
    ),
    # ... and a batch of goods (or a game) with these
    "party_trade": (
        "=товар", "=груз", "=продукция", "=продукт", "=закупка", "=закупить", "=закупать",
        "=закуп", "=поставка", "=поставщик", "=оптовый", "=опт", "=оптом", "=склад",
        "=доставка", "=магазин", "=продажа", "=продать", "=продавать", "=реализация",
        "=штука", "=тонна", "=килограмм", "кг", "=коробка", "=упаковка", "=контейнер",
        "=заказ", "=заказать", "=привезти", "=завезти", "=торговля", "=торговый",
        "=бизнес", "=мебель", "=одежда", "=обувь", "=техника", "=запчасть", "=материал",
        "=стройматериал", "=сырье", "=зерно", "=скот", "=овощ", "=фрукт", "=мясо",
        "=цемент", "=кирпич", "=оборот", "=базар", "=игра", "=шахматы", "=сыграть",
        "=играть", "=шахматный",
        "=крупный", "=пробный", "=рынок", "=бутик", "=ткань", "=косметика", "=семена",
        "kk:тауар", "kk:өнім", "kk:жүк", "сатып", "көтерме*", "жеткіз*", "kk:тапсырыс",
        "kk:дүкен", "сауда*", "kk:бизнес", "kk:қойма", "kk:киім", "kk:жиһаз", "kk:ойын",
        "kk:базар", "kk:шахмат",
    ),
    # a policy (of a bank, of privacy), not politics
    "policy": (
        "=ознакомить", "=ознакомиться", "=ознакомленный", "=согласный", "=согласие",
        "=согласиться", "=принять", "=прочитать", "=прочесть", "=конфиденциальность",
        "=данные", "=обработка", "=банк", "=компания", "=кредитный", "=условие",
        "=процентный", "=ценовой", "=кадровый", "=налоговый", "=тарифный", "=учетный",
        "=возврат", "=организация", "=мфо", "=магазин", "=сайт",
        "kk:құпиялылық", "таныс*", "келіс*", "kk:банк", "kk:несие", "kk:компания",
        "kk:дерек", "kk:ұйым", "kk:сайт",
    ),
    # talk about politics itself
    "politics": (
        "=интересоваться", "=увлекаться", "=заниматься", "=обсуждать", "=спорить",
        "=следить", "=участвовать", "=взгляд", "=интерес", "=мнение", "=уйти", "=пойти",
        "kk:қызығ", "айналыс*", "көзқарас*", "kk:пікір",
    ),
    # a language, not a people
    "language": (
        "=язык", "=языковой", "=говорить", "=разговаривать", "=общаться", "=владеть",
        "=перевод", "=переводчик", "=изучать", "=казахский", "=английский", "=русский",
        "=понимать", "=учить", "=звонить", "=писать",
        "kk:тіл", "сөйле*", "біле*", "түсін*", "аударм*",
        "en:language", "en:speak", "spoken", "en:speaker", "en:translation",
        "en:translate", "en:fluent", "en:lesson", "en:class", "en:course", "en:teacher",
        "en:tutor", "en:subtitle", "en:call", "en:write", "en:text",
    ),
    # the ethnonym names a thing, not a person (after it)
    "thing_after": (
        "en:citizen", "citizenship", "en:passport", "en:bank", "en:company", "en:car",
        "en:food", "en:restaurant", "en:cuisine", "en:version", "en:school",
        "en:university", "en:shop", "en:store", "en:brand", "en:firm", "en:market",
        "en:product", "en:phone", "en:series", "en:drama", "en:film", "en:movie",
        "en:song", "en:tv", "en:channel", "en:news", "en:federation", "en:embassy",
        "en:visa", "en:address", "en:number", "en:sim", "en:card", "en:ruble", "en:tenge",
        "en:won", "en:dish", "en:partner", "en:supplier", "en:client", "en:customer",
        "en:employer", "en:office", "en:branch", "en:border", "en:post", "en:platform",
        "en:region", "en:side", "en:style", "en:cosmetics", "en:national", "en:resident",
        "en:dance", "en:ensemble", "en:music", "en:language", "en:district", "en:village",
    ),
    # ... or a person (after it)
    "person_after": (
        "en:man", "men", "en:woman", "women", "en:guy", "en:girl", "en:lady", "ladies",
        "en:boy", "en:person", "people", "en:family", "families", "origin", "descent",
        "heritage", "roots", "background", "ancestry", "by",
    ),
    # an attribute in Kazakh: "қазақ тілі", "Қазақ ұлттық университеті"
    "attribute_kk": (
        "kk:тіл", "ұлттық*", "университет*", "мемлекеттік*", "телеком*", "радио*",
        "газет*", "әдебиет*", "kk:ас", "тағам*", "сериал*", "фильм*", "kk:ән", "музыка*",
        "мектеп*", "театр*", "банк*", "компания*", "дүкен*", "кафе*", "мейрамхана*",
        "көше*", "ауыл*", "kk:аудан", "облыс*", "драма*", "kk:жер", "қала*", "kk:ауыз",
        "kk:әдет", "салт*", "kk:дәстүр", "kk:киім", "kk:бидай", "kk:ет", "kk:халық",
        "халқ*", "дәстүр*", "kk:би", "ансамбл*", "kk:ауданы",
    ),
    # someone's first name: "брат Ислам", "звонил Ислам"
    "person_before": (
        "=брат", "=сестра", "=сын", "=муж", "=отец", "=дядя", "=племянник", "=внук",
        "=друг", "=коллега", "=клиент", "=поручитель", "=звонить", "=зовут", "=имя",
        "=сосед", "=зять", "=тесть", "=свекор", "=родственник", "=начальник",
        "=руководитель", "=директор", "=менеджер", "=супруг", "=жених",
        "kk:іні", "kk:аға", "kk:әке", "kk:ұл", "kk:күйеу", "kk:дос", "kk:ат", "kk:әріптес",
        "kk:көрші", "kk:жиен", "kk:немере", "kk:бастық", "kk:кепілгер", "kk:клиент",
        "en:brother", "en:son", "en:husband", "en:father", "en:uncle", "en:friend",
        "en:colleague", "named", "en:call", "en:client", "en:guarantor", "mr",
        "en:neighbour", "en:neighbor", "en:nephew", "en:manager", "en:boss",
    ),
    # ... unless religion is spoken of
    "religion": (
        "=исповедовать", "=принять", "=принимать", "=религия", "=вера", "=верить",
        "=мусульманин", "=вероисповедание", "=соблюдать", "=традиция",
        "kk:дін", "діни", "қабылда*", "ұстан*", "сенім*", "сенеді", "сенемін",
        "en:religion", "en:convert", "practise", "practice", "practising", "practicing",
        "en:faith", "en:follow", "en:believe", "en:embrace",
    ),
    # a family or a person an ethnonym adjective describes (уйгурская семья)
    "person_ru": (
        "=семья", "=семейство", "=мужчина", "=женщина", "=парень", "=девушка", "=человек",
        "=народ", "=происхождение", "=корень", "=кровь", "=община", "=диаспора", "=род",
        "=нация", "=национальность", "=клиент", "=клиентка", "=жена", "=муж", "=мать",
        "=отец", "=родитель", "=девочка", "=мальчик", "=ребенок", "=дети",
    ),
    # protest in the street, not against a fine
    "protest_political": (
        "=власть", "=правительство", "=акция", "=ходить", "=выходить", "=выйти",
        "=участвовать", "=митинг", "=уличный", "=антиправительственный", "=режим",
        "=оппозиция", "=президент", "=акимат",
        "en:government", "en:regime", "en:street", "en:rally", "en:march", "en:attend",
        "en:join", "en:opposition", "en:president", "anti",
    ),
    # staff of a prison: "работает в колонии охранником"
    "staff": (
        "=охранник", "=сотрудник", "=надзиратель", "=инспектор", "=конвоир", "=работник",
        "=служить", "=повар", "=врач", "=медсестра", "=бухгалтер",
        "күзетші*", "kk:қызметкер",
        "en:guard", "en:officer", "en:warden", "staff", "en:employee", "en:nurse",
        "en:cook", "en:doctor",
    ),
    # a place of worship as a landmark: "живу возле мечети"
    "landmark": (
        "=район", "=рядом", "=возле", "=около", "=напротив", "=ориентир", "=остановка",
        "=улица", "=недалеко", "=за", "=между",
        "маңы*", "қасы*", "жаны*", "қарсы*", "бағдар*", "аялдам*", "жақын*",
        "near", "next", "opposite", "behind", "landmark", "en:area", "nearby",
    ),
    # a street: "ул. Ислама Каримова", "Коммунистическая улица"
    "street": (
        "ул", "=улица", "пр", "=проспект", "пер", "=переулок", "мкр", "=микрорайон",
        "=бульвар", "=площадь", "=тупик", "=шоссе", "=проезд", "=станция",
        "көше*", "даңғыл*", "шағын*", "тұйық*", "алаң*",
        "en:street", "st", "str", "en:avenue", "ave", "en:road", "rd", "en:lane",
    ),
    # a car race, a horse race...
    "race_sport": (
        "en:car", "en:horse", "en:bike", "en:marathon", "running", "en:run", "ran",
        "en:win", "won", "en:cycling", "en:motor", "en:track", "en:relay", "en:sprint",
        "rat", "en:arms", "en:boat", "en:ski", "en:drag", "en:finish", "en:participate",
        "en:team", "en:against", "en:time", "en:clock", "en:day", "en:market", "share",
        "en:bottom", "en:competitor", "en:rival",
    ),
    # a court sentence, not a sentence of a text
    "sentence_criminal": (
        "en:prison", "en:jail", "en:year", "en:month", "en:serve", "en:court",
        "suspended", "life", "en:custodial", "en:death", "en:convict", "was", "were",
        "been", "got", "received",
    ),
    "probation_criminal": (
        "en:officer", "en:violate", "en:release", "released", "en:court",
        "en:offence", "en:offense",
    ),
})  # fmt: skip
"""Context words the rules of :mod:`qorgau.catalog.scanner` look for, in the same syntax."""
