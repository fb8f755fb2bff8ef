"""The special-category scanner (policy 3.2): every category a text mentions. Pure.

A text is normalised (NFKC; format characters such as soft hyphens and zero-width spaces
dropped; stress marks dropped; casefolded; ``ё`` as ``е``) and split into words: any run
of characters that are not letters separates words. A word that mixes Latin and Cyrillic
letters is read in the script it is written in with look-alike letters of the other
(``мусyльманин`` with a Latin ``y`` is ``мусульманин``, ``сhurch`` is ``church``). Each
word is then matched against the keywords of :mod:`qorgau.catalog.lexicon`:

- Russian by lemma: pymorphy3 (the OpenCorpora dictionary of ``pymorphy3-dicts-ru``)
  gives every lemma a word may have, so ``партию``, ``партиями`` and ``партии`` meet
  ``партия``, and ``казахи`` meets ``казах``; a word is analysed only if its first three
  letters start some lemma of the lexicon, and analyses are cached;
- Kazakh by stem and ending: a stem followed by a chain of endings (plural, possessive,
  case, predicative: ``қазақпын``, ``ұлтының``, ``дінге``) and nothing else, so
  ``Дінмұхамед``, ``Қазақстан`` and ``Ұлттық банк`` do not meet ``дін``, ``қазақ`` and
  ``ұлт``; also typed with Russian letters (``улты казак``);
- English by stems and regular inflections.

A phrase matches words in order within one clause, at most one word between. Ambiguous
words go through a context rule (below); a single keyword next to a street word
(``ул. Ислама Каримова``) is a name of a street. :func:`find` returns every category
found, in the order of its first mention.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from types import MappingProxyType

from qorgau.catalog.lexicon import CUES, KEYWORDS

__all__ = ["CATEGORIES", "find"]

CATEGORIES: tuple[str, ...] = tuple(KEYWORDS)
"""The category codes the lexicon has keywords for, in its order."""

# --------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------

# Format characters (Unicode Cf) that hide nothing visible: soft hyphen, zero-width
# spaces and joiners, direction marks, word joiner, BOM.
_FORMAT = re.compile(
    "[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)
_STRESS = re.compile("[\u0300\u0301]")
_WORD = re.compile(r"[^\W\d_]+")
_JOINED = re.compile(r"[\s\-\u2010-\u2015'’ʼ`]*")  # between words of one clause
_SENTENCE_END = re.compile(r"[.!?;\n…]")

_KAZAKH = "әғқңөұүһі"
_FOLD = str.maketrans({"ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у",
                       "һ": "х", "і": "и"})  # fmt: skip
# Look-alikes, lower case: a Latin (or Greek) letter read as Cyrillic, and the reverse.
_AS_CYRILLIC = {"a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "i": "і", "k": "к",
                "m": "м", "n": "п", "o": "о", "p": "р", "r": "г", "t": "т", "u": "и",
                "x": "х", "y": "у", "ë": "е", "α": "а", "β": "в", "γ": "г", "ε": "е",
                "η": "п", "ι": "і", "κ": "к", "μ": "м", "ν": "в", "ο": "о", "π": "п",
                "ρ": "р", "τ": "т", "υ": "у", "χ": "х"}  # fmt: skip
_AS_LATIN = {"а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o",
             "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j",
             "ѕ": "s", "һ": "h", "г": "r", "п": "n", "и": "u", "ь": "b", "α": "a",
             "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
             "υ": "u", "χ": "x"}  # fmt: skip


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def _clean(text: str) -> str:
    """NFKC, format characters and stress marks dropped (case kept)."""
    decomposed = unicodedata.normalize("NFD", _FORMAT.sub("", unicodedata.normalize("NFKC", text)))
    return unicodedata.normalize("NFC", _STRESS.sub("", decomposed))


def _one_script(word: str) -> str:
    """A word mixing Cyrillic with Latin or Greek letters, read in one script."""
    cyrillic = sum(1 for ch in word if _is_cyrillic(ch))
    if cyrillic in (0, len(word)):
        return word
    to_cyrillic = all(_is_cyrillic(ch) or ch in _AS_CYRILLIC for ch in word)
    to_latin = all(not _is_cyrillic(ch) or ch in _AS_LATIN for ch in word)
    if to_cyrillic and (not to_latin or cyrillic * 2 >= len(word)):
        return "".join(ch if _is_cyrillic(ch) else _AS_CYRILLIC[ch] for ch in word)
    if to_latin:
        return "".join(_AS_LATIN.get(ch, ch) if _is_cyrillic(ch) else ch for ch in word)
    # neither reads whole: the majority script, with what can be read in it
    if cyrillic * 2 >= len(word):
        return "".join(_AS_CYRILLIC.get(ch, ch) for ch in word)
    return "".join(_AS_LATIN.get(ch, ch) for ch in word)


@dataclass(slots=True)
class _Token:
    text: str  # normalised, one script
    folded: str  # Kazakh letters as their Russian look-alikes
    cyrillic: bool
    capital: bool  # written with a capital letter
    joined: bool  # no clause break (punctuation) between this word and the one before
    sentence: bool  # in the same sentence as the word before


@lru_cache(maxsize=1 << 16)
def _forms(raw: str) -> tuple[str, str, bool]:
    """A written word as (normalised text, Kazakh letters folded, Cyrillic?)."""
    word = _one_script(raw.casefold().replace("ё", "е"))
    cyrillic = _is_cyrillic(word[0])
    return word, word.translate(_FOLD) if cyrillic else word, cyrillic


def _tokens(text: str) -> list[_Token]:
    clean = _clean(text)
    out: list[_Token] = []
    end = 0
    for m in _WORD.finditer(clean):
        raw = m.group()
        word, folded, cyrillic = _forms(raw)
        start = m.start()
        out.append(
            _Token(
                text=word,
                folded=folded,
                cyrillic=cyrillic,
                capital=raw[0].isupper(),
                joined=bool(out) and _JOINED.fullmatch(clean, end, start) is not None,
                sentence=bool(out) and _SENTENCE_END.search(clean, end, start) is None,
            )
        )
        end = m.end()
    return out


# --------------------------------------------------------------------------------------
# Morphology
# --------------------------------------------------------------------------------------


@cache
def _analyser() -> object:
    import pymorphy3  # the dictionary loads once, on the first Russian word (~50 ms)

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=1 << 16)
def _parses(word: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """Every reading of a Russian word: (lemma, grammemes), best first."""
    parses = _analyser().parse(word)  # type: ignore[attr-defined]
    return tuple((p.normal_form.replace("ё", "е"), frozenset(p.tag.grammemes)) for p in parses)


@lru_cache(maxsize=1 << 16)
def _known(word: str) -> bool:
    """The Russian dictionary has this word (not a guess from its ending)."""
    return bool(_analyser().word_is_known(word))  # type: ignore[attr-defined]


def _lemmas(token: _Token) -> frozenset[str]:
    return _lemmas_of(token.folded) if token.cyrillic else frozenset()


@lru_cache(maxsize=1 << 16)
def _lemmas_of(word: str) -> frozenset[str]:
    """The lemmas a Cyrillic word may have: pymorphy3's readings, and, for a word its
    dictionary does not know, a lexicon lemma followed by Kazakh endings (a Russian
    loanword in Kazakh: ``пикетке``, ``сектаға``; not ``приговорка``, a Russian word)."""
    if word[:3] not in _LEMMA_PREFIXES:
        return frozenset()
    found = {lemma for lemma, _ in _parses(word)}
    if _known(word):
        return frozenset(found)
    found.update(
        word[:n]
        for n in range(3, len(word))
        if word[:n] in _KNOWN_LEMMAS and _KK_ENDINGS_FOLDED.fullmatch(word, n)
    )
    return frozenset(found)


def _reads_as(token: _Token, *grammemes: str) -> bool:
    """The likeliest reading of the Russian word has these grammemes (``NOUN``, ``gent``)."""
    if not token.cyrillic:
        return False
    parses = _parses(token.folded)
    return bool(parses) and set(grammemes) <= parses[0][1]


# Kazakh endings, in their order after a stem: plural, possessive, case, predicative.
_KK_PLURAL = ("лар", "лер", "дар", "дер", "тар", "тер")
_KK_POSSESSIVE = ("ымыз", "іміз", "ыңыз", "іңіз", "ңыз", "ңіз", "ым", "ім", "м", "ың",
                  "ің", "ң", "мыз", "міз", "сы", "сі", "ы", "і")  # fmt: skip
_KK_CASE = ("ның", "нің", "дың", "дің", "тың", "тің", "ға", "ге", "қа", "ке", "на", "не",
            "а", "е", "ны", "ні", "ды", "ді", "ты", "ті", "н", "да", "де", "та", "те",
            "нда", "нде", "дан", "ден", "тан", "тен", "нан", "нен", "мен", "бен", "пен",
            "менен", "ша", "ше", "дай", "дей", "тай", "тей", "дағы", "дегі", "тағы",
            "тегі", "ндағы", "ндегі")  # fmt: skip
_KK_PREDICATIVE = ("мын", "мін", "пын", "пін", "бын", "бін", "сың", "сің", "сыз", "сіз",
                   "мыз", "міз", "пыз", "піз", "быз", "біз")  # fmt: skip


def _endings(fold: bool) -> re.Pattern[str]:
    def alt(items: Iterable[str]) -> str:
        forms = {i.translate(_FOLD) if fold else i for i in items}
        return "(?:" + "|".join(sorted(forms, key=len, reverse=True)) + ")?"

    chain = (_KK_PLURAL, _KK_POSSESSIVE, _KK_CASE, _KK_PREDICATIVE)
    return re.compile("".join(alt(part) for part in chain))


_KK_ENDINGS = _endings(fold=False)
_KK_ENDINGS_FOLDED = _endings(fold=True)


def _kk_possessed(rest: str) -> bool:
    """The Kazakh ending starts with a possessive (``саясаты``: its policy)."""
    folded = rest.translate(_FOLD)
    return any(folded.startswith(p.translate(_FOLD)) for p in _KK_POSSESSIVE)


def _english_forms(word: str) -> set[str]:
    """A word with its regular inflections: -s/-es/-ies, -ed/-d/-ied, -ing, -ly, -er(s)."""
    forms = {word, word + "s", word + "es", word + "ed", word + "ing", word + "ly"}
    if word.endswith("e"):
        forms |= {word + "d", word[:-1] + "ing", word + "r", word + "rs"}
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    return forms


# --------------------------------------------------------------------------------------
# Patterns and their index
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pattern:
    """One word of a keyword (syntax: :mod:`qorgau.catalog.lexicon`)."""

    kind: str  # exact | prefix | lemma | kk | regex
    value: str
    on_text: bool  # compare with the word as written (Kazakh letters), not folded
    fold: bool = False  # kk: also typed with Russian letters
    regex: re.Pattern[str] | None = None
    forms: frozenset[str] = frozenset()

    def match(self, token: _Token) -> str | None:
        """The Kazakh ending left after the stem ('' for other kinds), or None."""
        word = token.text if self.on_text else token.folded
        if self.kind == "exact":
            return "" if word in self.forms else None
        if self.kind == "prefix":
            return "" if word.startswith(self.value) else None
        if self.kind == "lemma":
            return "" if self.value in _lemmas(token) else None
        if self.kind == "regex":
            assert self.regex is not None
            return "" if self.regex.fullmatch(word) else None
        return _kk_rest(self, token)


def _kk_rest(p: _Pattern, token: _Token) -> str | None:
    if token.text.startswith(p.value) and _KK_ENDINGS.fullmatch(token.text, len(p.value)):
        return token.text[len(p.value) :]
    folded = p.value.translate(_FOLD)
    if (
        p.fold
        and token.folded.startswith(folded)
        and _KK_ENDINGS_FOLDED.fullmatch(token.folded, len(folded))
    ):
        return token.folded[len(folded) :]
    return None


def _compile_word(spec: str) -> _Pattern:
    if spec.startswith("re:"):
        return _Pattern("regex", spec, on_text=False, regex=re.compile(spec[3:]))
    if spec.startswith("="):
        return _Pattern("lemma", spec[1:], on_text=False)
    if spec.startswith(("kk:", "kk!:")):
        stem = spec.split(":", 1)[1]
        return _Pattern("kk", stem, on_text=True, fold=spec.startswith("kk:"))
    if spec.startswith("en:"):
        word = spec[3:]
        return _Pattern("exact", word, on_text=True, forms=frozenset(_english_forms(word)))
    on_text = any(ch in _KAZAKH for ch in spec) or not _is_cyrillic(spec[0])
    if spec.endswith("*"):
        return _Pattern("prefix", spec[:-1], on_text=on_text)
    return _Pattern("exact", spec, on_text=on_text, forms=frozenset({spec}))


@dataclass(frozen=True, slots=True)
class _Keyword:
    category: str
    words: tuple[_Pattern, ...]
    rule: str | None


def _compile_keyword(category: str, spec: str) -> _Keyword:
    parts = spec.split(" ")
    rule = parts.pop()[1:] if parts[-1].startswith("@") else None
    return _Keyword(category, tuple(_compile_word(p) for p in parts), rule)


class _Index:
    """Keywords by their first word, so a word is compared with few of them."""

    def __init__(self, keywords: Iterable[_Keyword]) -> None:
        self.keywords = tuple(keywords)
        self.exact: dict[tuple[bool, str], list[_Keyword]] = {}
        self.prefix: dict[tuple[bool, str], list[_Keyword]] = {}
        self.lemma: dict[str, list[_Keyword]] = {}
        self.kk: dict[str, list[_Keyword]] = {}
        self.other: list[_Keyword] = []
        for kw in self.keywords:
            p = kw.words[0]
            if p.kind == "exact":
                for form in p.forms:
                    self.exact.setdefault((p.on_text, form), []).append(kw)
            elif p.kind == "prefix":
                self.prefix.setdefault((p.on_text, p.value), []).append(kw)
            elif p.kind == "lemma":
                self.lemma.setdefault(p.value, []).append(kw)
            elif p.kind == "kk":
                self.kk.setdefault(p.value, []).append(kw)
                if p.fold:
                    self.kk.setdefault(p.value.translate(_FOLD), []).append(kw)
            else:
                self.other.append(kw)
        self.prefix_lengths = sorted({len(v) for _, v in self.prefix})
        self.kk_lengths = sorted({len(v) for v in self.kk})
        self.lemma_prefixes = frozenset(lemma[:3] for lemma in self.lemma)
        # a word's matches depend on its letters only: cached across texts
        self._matches = lru_cache(maxsize=1 << 15)(self._match)

    def candidates(self, token: _Token) -> tuple[tuple[_Keyword, str], ...]:
        """Keywords whose first word matches the token, with the Kazakh ending left."""
        return self._matches(token.text, token.folded, token.cyrillic)

    def _match(self, text: str, folded: str, cyrillic: bool) -> tuple[tuple[_Keyword, str], ...]:
        token = _Token(text, folded, cyrillic, capital=False, joined=False, sentence=False)
        found: list[tuple[_Keyword, str]] = []
        seen: set[int] = set()

        def add(kws: Iterable[_Keyword]) -> None:
            for kw in kws:
                if id(kw) in seen:
                    continue
                rest = kw.words[0].match(token)
                if rest is not None:
                    seen.add(id(kw))
                    found.append((kw, rest))

        for on_text, word in ((True, text), (False, folded)):
            add(self.exact.get((on_text, word), ()))
            for n in self.prefix_lengths:
                if n > len(word):
                    break
                add(self.prefix.get((on_text, word[:n]), ()))
        if cyrillic:
            for word in {text, folded}:
                for n in self.kk_lengths:
                    if n > len(word):
                        break
                    add(self.kk.get(word[:n], ()))
            if folded[:3] in self.lemma_prefixes:
                for lemma in _lemmas(token):
                    add(self.lemma.get(lemma, ()))
        add(self.other)
        return tuple(found)

    def any(self, token: _Token) -> bool:
        return bool(self.candidates(token))


_KEYWORDS = tuple(
    _compile_keyword(category, spec) for category, specs in KEYWORDS.items() for spec in specs
)
_INDEX = _Index(_KEYWORDS)
_CUES: Mapping[str, _Index] = MappingProxyType(
    {name: _Index(_compile_keyword(name, spec) for spec in specs) for name, specs in CUES.items()}
)
_KNOWN_LEMMAS = frozenset(
    p.value
    for kw in (*_KEYWORDS, *(k for index in _CUES.values() for k in index.keywords))
    for p in kw.words
    if p.kind == "lemma"
)
_LEMMA_PREFIXES = frozenset(lemma[:3] for lemma in _KNOWN_LEMMAS)

# --------------------------------------------------------------------------------------
# Context rules: (tokens, first word, last word, Kazakh ending) -> is it a mention?
# --------------------------------------------------------------------------------------

_Rule = Callable[[Sequence[_Token], int, int, str], bool]


def _cue(tokens: Sequence[_Token], name: str, lo: int, hi: int, skip: range) -> bool:
    """Some word in tokens[lo:hi], outside ``skip``, is a cue of ``name``."""
    index = _CUES[name]
    return any(
        index.any(tokens[k]) for k in range(max(lo, 0), min(hi, len(tokens))) if k not in skip
    )


def _around(tokens: Sequence[_Token], i: int, j: int, before: int, after: int) -> range:
    """Positions around tokens[i..j], up to ``before``/``after`` words, in its sentence."""
    lo = i
    while lo > 0 and i - lo < before and tokens[lo].sentence:
        lo -= 1
    hi = j
    while hi + 1 < len(tokens) and hi - j < after and tokens[hi + 1].sentence:
        hi += 1
    return range(lo, hi + 1)


def _near(tokens: Sequence[_Token], name: str, i: int, j: int, before: int, after: int) -> bool:
    around = _around(tokens, i, j, before, after)
    return _cue(tokens, name, around.start, around.stop, range(i, j + 1))


def _next(tokens: Sequence[_Token], j: int) -> _Token | None:
    return tokens[j + 1] if j + 1 < len(tokens) and tokens[j + 1].joined else None


def _previous(tokens: Sequence[_Token], i: int) -> _Token | None:
    return tokens[i - 1] if i > 0 and tokens[i].joined else None


def _party(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """``партия`` is political with a political word near it; else a batch of goods or a
    game with a trade word in its sentence; else political."""
    if _near(tokens, "party_political", i, j, 4, 4):
        return True
    return not _near(tokens, "party_trade", i, j, 10, 6)


def _party_en(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """An English "party" is political only with a political word near it (third party,
    party to the contract, birthday party are not)."""
    return _near(tokens, "party_political", i, j, 4, 4)


def _politics_ru(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """``политика`` is a policy with a genitive after it (политика банка), an adjective
    before it (кредитная политика) or a policy word near it; a politician (политиком) and
    talk about politics are political."""
    if _lemmas(tokens[i]) == {"политик"} or _near(tokens, "politics", i, j, 3, 3):
        return True
    after, before = _next(tokens, j), _previous(tokens, i)
    if after is not None and (_reads_as(after, "NOUN", "gent") or _reads_as(after, "ADJF", "gent")):
        return False
    if before is not None and _reads_as(before, "ADJF") and not _reads_as(before, "PREP"):
        return False
    return not _near(tokens, "policy", i, j, 3, 3)


def _politics_kk(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """``саясат`` with a possessive ending is someone's policy (құпиялылық саясаты);
    bare, it is politics, unless a policy word is near."""
    if _near(tokens, "politics", i, j, 3, 3):
        return True
    if _kk_possessed(rest):
        return False
    return not _near(tokens, "policy", i, j, 3, 3)


def _not_pep(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """Politically exposed persons (an AML/CFT status) are not a political view."""
    after = _next(tokens, j)
    return after is None or not after.text.startswith(
        ("значим", "экспонир", "публичн", "exposed", "маңызды")
    )


def _russian(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """``русский`` is a nationality used alone (я русская); the language (на русском,
    русский язык) and things (русские продукты) are not."""
    after, before = _next(tokens, j), _previous(tokens, i)
    if after is not None and (_reads_as(after, "NOUN") or _reads_as(after, "ADJF")):
        return _CUES["person_ru"].any(after)
    if before is not None and before.text in ("на", "по", "с", "со"):
        return False
    return not _near(tokens, "language", i, j, 3, 3)


def _ethnic_adjective(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """An ethnonym adjective is a nationality when it describes a person or a family
    (уйгурская семья, из казахской семьи), not a thing (корейская косметика)."""
    for k in (j + 1, j + 2):
        if k >= len(tokens) or not tokens[k].joined:
            return False
        if _CUES["person_ru"].any(tokens[k]):
            return True
        if not _reads_as(tokens[k], "ADJF"):
            return False
    return False


def _protest(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """A protest is political in the street or against the government, not against a fine."""
    return _near(tokens, "protest_political", i, j, 3, 3)


def _adjacent(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """The phrase's words stand side by side (изменяет жене, not изменить номер жены)."""
    return j == i + 1


def _not_staff(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """A prison is a workplace for its staff (работает в колонии охранником)."""
    lo = i
    while lo > 0 and i - lo < 3 and tokens[lo].joined:
        lo -= 1
    hi = j
    while hi + 1 < len(tokens) and hi - j < 3 and tokens[hi + 1].joined:
        hi += 1
    return not _cue(tokens, "staff", lo, hi + 1, range(i, j + 1))


def _worship_place(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """A mosque or a church named as a landmark (живу возле мечети) is a place."""
    return not _near(tokens, "landmark", i, j, 3, 1)


def _ethnonym_kk(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """A Kazakh ethnonym is a nationality, but not as a language (қазақша, орыс тілі) or
    an attribute of a thing (Қазақ ұлттық университеті)."""
    if rest.translate(_FOLD) in ("ша", "ше"):
        return False
    if _near(tokens, "language", i, j, 1, 3):
        return False
    after = _next(tokens, j)
    return rest != "" or after is None or not _CUES["attribute_kk"].any(after)


def _ethnonym_en_plain(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """An ethnonym that is no country's adjective (Uyghur, Dungan) is a nationality, but
    not of a thing or a language (a Uyghur dance ensemble)."""
    if _near(tokens, "language", i, j, 3, 2):
        return False
    after = _next(tokens, j)
    return after is None or not _CUES["thing_after"].any(after)


def _ethnonym_en(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """An English ethnonym is a nationality when it describes a person (she is Kazakh,
    a Korean woman), not a language or a thing (speaks Russian, a German company)."""
    if _near(tokens, "language", i, j, 3, 2):
        return False
    after, before = _next(tokens, j), _previous(tokens, i)
    if after is not None and _CUES["person_after"].any(after):
        return True
    if after is not None and _CUES["thing_after"].any(after):
        return False
    return before is not None and before.text in _COPULA


_COPULA = frozenset({"am", "is", "are", "was", "were", "be", "being", "m", "s", "re", "a",
                     "an", "half", "ethnically", "born"})  # fmt: skip
_NAME_ENDING = re.compile(
    r".*(?:ович|евич|овна|евна|ична|ұлы|улы|қызы|кызы|ов|ев|ова|ева|ин|ина|бек|бай"
    r"|ovich|evich|ovna|evna|uly|kyzy|ov|ev|ova|eva|in|ina|bek|bay|bai)"
)


def _name_or_faith(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """``Ислам`` (and ``Christian``) are also first names: a name after a person word
    (брат Ислам, звонил Ислам) or beside a surname or patronymic (Ислам Серикович),
    unless religion is spoken of near it."""
    if _near(tokens, "religion", i, j, 3, 3):
        return True
    before, after = _previous(tokens, i), _next(tokens, j)
    if before is not None and _CUES["person_before"].any(before):
        return False
    for other in (before, after):
        if other is not None and other.capital and _NAME_ENDING.fullmatch(other.text):
            return False
    return not (after is not None and after.text in ("ага", "аға", "агай", "ағай", "мырза"))


def _race_en(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """A "race" is a competition near sport words (a car race, won the race, the race for
    market share)."""
    return not _near(tokens, "race_sport", i, j, 3, 3)


def _sentence_en(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """A person "sentenced" is a court's; "a sentence" only near court words."""
    if tokens[i].text in ("sentenced", "sentencing"):
        return True
    return _near(tokens, "sentence_criminal", i, j, 3, 3)


def _probation_en(tokens: Sequence[_Token], i: int, j: int, rest: str) -> bool:
    """Probation is criminal near court words; a probation period at work is not."""
    return _near(tokens, "probation_criminal", i, j, 3, 3)


_RULES: Mapping[str, _Rule] = MappingProxyType(
    {
        "party": _party,
        "party_en": _party_en,
        "politics_ru": _politics_ru,
        "politics_kk": _politics_kk,
        "not_pep": _not_pep,
        "russian": _russian,
        "ethnonym_kk": _ethnonym_kk,
        "ethnonym_en": _ethnonym_en,
        "ethnonym_en_plain": _ethnonym_en_plain,
        "name_or_faith": _name_or_faith,
        "race_en": _race_en,
        "sentence_en": _sentence_en,
        "probation_en": _probation_en,
        "ethnic_adjective": _ethnic_adjective,
        "protest": _protest,
        "adjacent": _adjacent,
        "not_staff": _not_staff,
        "worship_place": _worship_place,
    }
)
if not {kw.rule for kw in _KEYWORDS if kw.rule} <= set(_RULES):  # pragma: no cover
    raise AssertionError("a keyword of the lexicon names no rule")

# --------------------------------------------------------------------------------------
# Scanning
# --------------------------------------------------------------------------------------


def _phrase_end(tokens: Sequence[_Token], i: int, words: tuple[_Pattern, ...]) -> int | None:
    """The last word of the phrase starting at tokens[i], or None (one word between at most)."""
    k = i
    for pattern in words[1:]:
        for step in (1, 2):
            n = k + step
            if n >= len(tokens) or not tokens[n].joined:
                return None
            if pattern.match(tokens[n]) is not None:
                k = n
                break
        else:
            return None
    return k


def _street(tokens: Sequence[_Token], i: int, j: int) -> bool:
    """A word beside a street word (ул., көшесі, street) names the street."""
    street = _CUES["street"]
    before = i > 0 and street.any(tokens[i - 1])
    return before or (j + 1 < len(tokens) and street.any(tokens[j + 1]))


def find(text: str) -> tuple[str, ...]:
    """Every special category ``text`` mentions, in the order of its first mention."""
    tokens = _tokens(text)
    found: list[str] = []
    for i, token in enumerate(tokens):
        for kw, rest in _INDEX.candidates(token):
            if kw.category in found:
                continue
            j = _phrase_end(tokens, i, kw.words)
            if j is None:
                continue
            if len(kw.words) == 1 and _street(tokens, i, j):
                continue
            if kw.rule is not None and not _RULES[kw.rule](tokens, i, j, rest):
                continue
            found.append(kw.category)
    return tuple(found)
