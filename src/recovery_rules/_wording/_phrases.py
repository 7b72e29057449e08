"""The phrase check: wording that turns a customer away, and what to say instead.

"Never say, 'That's our policy,' or 'That's the way it's always been done
here.'" and "Forbid your employees to tell the customer 'No.'" The check finds
those phrases (in English, with the Spanish and German equivalents) in
templates, names, the descriptions of a policy's alternatives and a manager's
denial reason, and says which positive form to use instead. It finds:

- **policy recitals**: "that's our policy", "against policy"; the business's
  policy (ours, the, company, store, hotel..., never "your insurance policy")
  that *says*, *said*, *states*, *requires*, *forbids*, *doesn't* / *does not*
  / *won't* / *can't* *allow* or *permit*, *allows only* or *allows no*, *is
  no*...: "Our policy says no refunds", "Company policy doesn't allow it";
  "according to", "as per", "due to", "because of", "in accordance with" the
  policy; "not allowed by our policy";
- **rules are rules**: "rules are rules", "a rule is a rule", "those are the
  rules", "against the rules", "I don't make the rules", "just following the
  rules", "the rules say...";
- **helpless refusals**: "there's nothing I can do", "nothing more we could
  do", "I can't do anything", "it's out of my hands", "not my problem";
- **the old way**: "that's the way it's always been done";
- **a bare "no"**, and "absolutely not", "certainly not", "of course not",
  "not a chance", "no chance" standing as an answer.

Case, spacing and the apostrophe's style (' or ’ or ´) do not matter: the
text is compared in one case, with its whitespace collapsed (a zero-width
space counts as a space between words, and as nothing inside one: "N\u200bo." is a
bare "no"), its apostrophes made plain and a word's Cyrillic or Greek letters drawn like Latin ones read as
those ("Nо." with a Cyrillic o is a bare "no"; a Russian or Greek word keeps its own letters). "Policy is policy",
"out of my hands", "there isn't anything I can do", "under our policy" and
a hyphenated "company-policy" are caught too. Ordinary sentences that only look alike pass: "your insurance
policy covers it", "we changed our refund policy last year", "nothing is more
important than this", "I can absolutely do that", "as a rule, we call back
within the hour".

**What counts as a bare "no".** "No" as an answer, not "no" as a word: the
word *no* (or *nein*) that no other word follows in its clause, that is, at
the end of the text or followed by punctuation. "No.", "No, sorry.", "The
answer is no!" and "No - " are refused; "no charge", "no one here", "no later
than 5:00" and Spanish "no podemos" are not, because a word follows. Also:

- the abbreviation "No. 5" (*no.* and then a number) is not an answer, and
  neither is "no" as the second half of a choice: "yes or no", Spanish
  "llueva o no" (rain or shine), German "ja oder nein";
- a hyphen or apostrophe joined to it makes another word ("no-show");
- "nope" and "nah" are refused wherever they are, and "no way" and
  "no can do" when they stand as an answer.

A template's slots count as words ("no {remedy}" passes), since whatever fills
them is text. The check is deliberately strict about "no" quoted as a word
('we never say "no"'): customer-facing wording does not need it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Final

from recovery_rules._values._shown import shown
from recovery_rules.exceptions import InvalidInputError

__all__ = ["forbidden_phrases"]

_POSITIVE_NO: Final = '"We can\'t do that, but we CAN do this..."'
_BARE_NO: Final = (
    'a bare "no" leaves the customer two options, to find someone with more authority or to go to a competitor; '
    "say what you CAN do instead: " + _POSITIVE_NO
)
_RECITAL: Final = (
    "reciting policy tells the customer nothing they can act on; give the reason in plain words, then what "
    "you CAN do: " + _POSITIVE_NO
)
_RULES_ARE_RULES: Final = (
    "pointing at the rules ends the conversation without a reason; give the reason in plain words, then what "
    "you CAN do: " + _POSITIVE_NO
)
_HELPLESS: Final = (
    "saying you can do nothing leaves the customer nowhere to go, when you can always offer a Plan B; say what "
    "you CAN do: " + _POSITIVE_NO
)
_BEFORE_WORD: Final = r"(?<![^\W_])(?<!-)(?<![^\W_]')(?<![^\W_]_)"
"""Not joined to a word before it: a letter, digit, hyphen, or an apostrophe or underscore after a letter ("o'no",
"reason_no") joins; a quote mark opening a quotation ('no', ‘no’) or Markdown's underscore (_no_) does not."""
_AFTER_WORD: Final = r"(?![^\W_])(?!-)(?!'[^\W_])(?!_[^\W_])"
"""Not joined to a word after it: "no-show", "no's", "no_level" are other words; "no'" closing a quotation and
"no_" are not."""
_END_OF_CLAUSE: Final = _AFTER_WORD + r"(?!\.\s*\d)(?=\s*(?:$|[^\w\s]|_))"

_NOT: Final = r"(?:\s*n'?t|\s+not|not)"
"""The negation that ends a verb: doesn't, does not, doesnt; with ``wo`` and ``ca``: won't, can't; cannot."""
_OWNER: Final = r"(?:our|the|company(?:'s)?|corporate|store(?:'s)?|hotel(?:'s)?|shop(?:'s)?|park(?:'s)?|house)"
"""Whose policy is recited: the business's (never the customer's: "your insurance policy covers it")."""
_QUALIFIER: Final = (
    r"(?:own|company|corporate|store|hotel|shop|park|house|strict|official|standard|general|current|new|refunds?"
    r"|returns?|exchange|cancellation|booking|pricing|no[- ]refunds?)"
)
_POLICY: Final = rf"\b{_OWNER}(?:[\s-]+{_QUALIFIER}){{0,2}}[\s-]+polic(?:y|ies)\b"
"""The business's policy, named: "our policy", "company policy", "the store's strict returns policy"."""
_BARE_POLICY: Final = r"(?:^|(?<=[.!?;:,\"(])|(?<=[.!?;:,\"(] ))polic(?:y|ies)\b"
""""Policy" opening a clause: "Policy says no."."""
_RECITES: Final = (
    r"\s+(?:only|just)\s+(?:allows?|allowed|permits?|permitted|lets)\b"
    r"|\s+(?:(?:clearly|only|just|strictly|simply)\s+)?(?:says?|saying|said|states?|stated|dictates?|dictated|requires?"
    r"|required|prohibits?|prohibited|forbids?|forbade|prevents?|prevented|bars?|barred"
    r"|(?:is|was)\s+(?:clear|that|not\s+to|no)"
    rf"|(?:does|do|did|will|would|can|could|wo|ca){_NOT}\s+(?:allow|permit|let|accept|authori[sz]e|cover|include)\w*"
    rf"|(?:is|are|was|were){_NOT}\s+(?:allowing|permitting|letting|accepting|covering)\b"
    r"|never\s+(?:allows?|allowed|permits?|permitted|lets)"
    r"|(?:allows?|allowed|permits?|permitted)\s+(?:no|only))\b"
)
"""What a recited policy does: says, states, requires, forbids, doesn't allow, won't permit, allows no..."""

_PHRASES: Final = (  # each pattern, as source, with its advice
    (
        (
            r"\b(?:that|this|it)(?:'s|\s+is|\s+was)(?:\s+just)?"
            r"(?:\s+(?:our|the|company|store|shop|hotel|park|house)){0,3}\s+polic(?:y|ies)\b"
            r"|\b(?:against|per)\s+(?:our\s+|the\s+|company\s+)?policy\b"
            rf"|\bunder\s+{_OWNER}(?:[\s-]+{_QUALIFIER}){{0,2}}[\s-]+polic(?:y|ies)\b"
            rf"|(?:{_POLICY}|{_BARE_POLICY})(?:{_RECITES})"
            r"|\b(?:according\s+to|as\s+per|due\s+to|because\s+of|owing\s+to|in\s+(?:accordance|line)\s+with)\s+"
            rf"(?:{_OWNER}\s+)?(?:{_QUALIFIER}\s+){{0,2}}polic(?:y|ies)\b"
            rf"|\bnot\s+(?:allowed|permitted)\s+(?:by|under|per)\s+(?:{_OWNER}\s+)?(?:{_QUALIFIER}\s+){{0,2}}"
            r"polic(?:y|ies)\b"
            r"|\b(?:es|son)\s+(?:nuestra|la)s?\s+pol[ií]ticas?\b"
            r"|\bdas\s+ist\s+(?:unsere|die)\s+(?:firmen)?(?:richtlinie|vorschrift|politik)\b"
        ),
        _RECITAL,
    ),
    (
        (
            r"\brules?\s+(?:are|is|were|was)\s+(?:the\s+|a\s+)?rules?\b"
            r"|\bpolic(?:y|ies)\s+(?:are|is|were|was)\s+polic(?:y|ies)\b"
            r"|\b(?:that|this|it|those|these|them)(?:'?s|'?re|\s+is|\s+are|\s+was|\s+were)(?:\s+just)?"
            r"\s+(?:the|our|company|store|shop|hotel|house)\s+rules?\b(?!\s+of\b)"
            rf"|\b(?:i|we)\s+(?:do|did){_NOT}\s+make\s+(?:the|our)\s+(?:rules?|polic(?:y|ies))\b"
            r"|\b(?:just|only)\s+follow(?:ing|s)?\s+(?:the\s+|our\s+|company\s+)?(?:rules?|polic(?:y|ies)|orders)\b"
            r"|\bagainst\s+(?:the\s+|our\s+|company\s+|store\s+|hotel\s+)?rules?\b"
            r"|\b(?:the|our|company|store|shop|hotel|house)\s+rules?\s+"
            rf"(?:says?|said|states?|stated|(?:does|do|did|will|would|wo){_NOT}\s+(?:allow|permit|let))"
        ),
        _RULES_ARE_RULES,
    ),
    (
        (
            r"\bnothing\s+(?:(?:more|else|at\s+all)\s+)?(?:that\s+)?(?:i|we|anyone|anybody|one)\s+(?:can|could|(?:am|are)\s+able"
            r"\s+to)\s+do\b"
            r"|\bthere(?:'?s|\s+is|\s+was)\s+nothing\s+(?:(?:more|else)\s+)?to\s+be\s+done\b"
            rf"|\b(?:i|we)\s+(?:can|ca|could){_NOT}\s+do\s+anything\b"
            rf"|\bthere(?:'s|\s+is|\s+was){_NOT}\s+anything\s+(?:(?:more|else)\s+)?(?:that\s+)?(?:i|we|anyone)\s+"
            r"(?:can|could)\s+do\b"
            r"|\bout\s+of\s+(?:my|our)\s+hands\b"
            r"|\bnot\s+my\s+(?:problem|job|department)\b"
        ),
        _HELPLESS,
    ),
    (
        (
            r"\balways\s+been\s+done\b"
            r"|\bwe(?:'ve|\s+have)\s+always\s+done\s+it\b"
            r"|\bthe\s+way\s+(?:it|things)(?:'s|\s+has|\s+have)\s+always\s+been\b"
            r"|\bas[ií]\s+se\s+ha\s+hecho\s+siempre\b|\bsiempre\s+se\s+ha\s+hecho\s+as[ií]\b"
            r"|\b(?:haben|machen)\s+wir\s+(?:schon\s+)?immer\s+so\s+gemacht\b|\bwar\s+schon\s+immer\s+so\b"
        ),
        "defending the old way does not help the customer; offer what will work: \"We can't do it that way, but I can "
        'suggest an alternative that will achieve the same for you."',
    ),
    (
        (
            _BEFORE_WORD
            + r"(?<!\bo )(?<!\bor )(?<!\boder )(?:no|nein)"
            + _END_OF_CLAUSE
            + r"|"
            + _BEFORE_WORD
            + r"no\s+(?:way|can\s+do|chance)"
            + _END_OF_CLAUSE
            + r"|"
            + _BEFORE_WORD
            + r"(?:absolutely|certainly|definitely|of\s+course)\s+not"
            + _END_OF_CLAUSE
            + r"|"
            + _BEFORE_WORD
            + r"not\s+a\s+chance"
            + _END_OF_CLAUSE
        ),
        _BARE_NO,
    ),
    (
        (_BEFORE_WORD + r"(?:nope|nah)" + _AFTER_WORD),
        _BARE_NO,
    ),
)


@functools.cache
def _rules() -> tuple[tuple[re.Pattern[str], str], ...]:
    """:data:`_PHRASES` compiled, on the first check rather than at import: compiling them takes several
    milliseconds, which every program importing the library would pay, whether or not it checks a phrase."""
    return tuple((re.compile(source), advice) for source, advice in _PHRASES)


_QUOTES: Final = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",  # an acute accent typed for an apostrophe: doesn´t
        "\u02b9": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u200b": " ",  # a zero-width space (or word joiner, byte-order mark) between words is a space
        "\u2060": " ",
        "\ufeff": " ",
        "\u00ad": None,  # a soft hyphen, zero-width joiners: nothing
        "\u200c": None,
        "\u200d": None,
        # Invisible format characters: direction marks, embeddings, overrides and isolates, invisible operators,
        # the Mongolian vowel separator, the combining grapheme joiner, tags. Nothing a reader sees or hears.
        **dict.fromkeys(
            (
                "\u034f\u061c\u180e\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2061\u2062\u2063\u2064"
                "\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f"
            ),
            None,
        ),
        **{chr(code): None for code in range(0xE0000, 0xE0080)},
    }
)


_LOOK_ALIKES: Final = str.maketrans(
    dict(
        zip(
            # Cyrillic, then Greek letters drawn like Latin ones (before casefolding: a Greek capital nu is an N,
            # its small letter a v)
            "АВЕКМНОРСТУХІЈЅаеорсухіјѕԁԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧοιρκχ",
            "ABEKMHOPCTYXIJSaeopcyxijsdqwABEZHIKMNOPTYXoipkx",
            strict=True,
        )
    )
)
_WORD: Final = re.compile(r"[^\W\d_]+")


def _latin_look_alikes(word: re.Match[str]) -> str:
    """A word read as the Latin letters it looks like ("Nо" with a Cyrillic o is "No"), when it mixes them with
    Latin letters or is drawn in look-alikes alone; a word of another script keeps its letters (Russian "но")."""
    text = word.group()
    folded = text.translate(_LOOK_ALIKES)
    if folded == text or not (folded.isascii() or any("a" <= char.casefold() <= "z" for char in text)):
        return text
    return folded


def _normal(text: str) -> str:
    # Translated before NFKC too, which would make an acute accent a space and a combining mark.
    text = unicodedata.normalize("NFKC", text.translate(_QUOTES)).translate(_QUOTES)
    if not text.isascii():
        text = _WORD.sub(_latin_look_alikes, text)
    return re.sub(r"\s+", " ", text.casefold())


def forbidden_phrases(text: str) -> tuple[str, ...]:
    """What is wrong with ``text`` as customer-facing wording: one message per forbidden phrase found.

    It finds policy recitals ("Our policy says no refunds", "Company policy
    doesn't allow it", "according to our policy"), "rules are rules", saying
    you can do nothing ("There's nothing I can do"), defending the old way and
    bare refusals ("No.", "Absolutely not"), in any case, spacing, apostrophe
    style and inflection (see the module's documentation for the full list).

    An empty tuple means the text passes. Each message quotes the phrase and
    suggests a positive form: ``forbidden_phrases("Sorry, that's our policy.")``
    is one message, which starts with ``says "that's our policy": reciting policy``.
    A ``text`` that is not a ``str`` raises :class:`~recovery_rules.InvalidInputError`.
    """
    if not isinstance(text, str):
        said = f"must be a str, the wording to check, such as 'Sorry, that is our policy.', not {shown(text)}"
        raise InvalidInputError.at("text", "text", said)
    normal = _normal(text)
    # A zero-width space (word joiner, byte-order mark) is invisible: between words it reads as a space, inside a
    # word ("pol\u200bicy") as nothing. A phrase rule that finds nothing in the first reading looks in the second;
    # not the bare "no" (in "yes\u200bor no" the second reading would make "or no" a bare "no").
    visible = text.translate(_INVISIBLE_SPACES)
    joined = normal if visible == text else _normal(visible)  # read twice only when there is something invisible
    found: list[str] = []
    for pattern, advice in _rules():
        phrases = [match.group() for match in pattern.finditer(normal)]
        if joined == normal:
            pass
        elif advice is not _BARE_NO:
            if not phrases:
                # only a phrase an invisible character split: one the first reading holds whole was judged there,
                # in its context ("the rule of\u200bthumb" is no "that's the rule")
                phrases = [match.group() for match in pattern.finditer(joined) if match.group() not in normal]
        else:
            # a bare "no" whose own word an invisible character split ("N\u200bo."), not one that joining two words
            # made ("yes\u200bor no" reads "yes or no")
            phrases += sorted(
                {match.group() for match in pattern.finditer(joined) if _split_in(match.group(), normal)} - set(phrases)
            )
        found.extend(f'says "{phrase.strip()}": {advice}' for phrase in phrases)
    return tuple(found)


_INVISIBLE_SPACES: Final = str.maketrans(dict.fromkeys("\u200b\u2060\ufeff"))


def _split_in(phrase: str, normal: str) -> bool:
    """Whether ``normal`` (the first reading) holds ``phrase`` with a space inside one of its words: where a
    zero-width space split the word ("n o" for "no")."""
    words = phrase.split()
    spaced = r"\s".join(" ?".join(map(re.escape, word)) for word in words)
    return any(match.group().count(" ") > len(words) - 1 for match in re.finditer(rf"(?<!\w){spaced}(?!\w)", normal))
