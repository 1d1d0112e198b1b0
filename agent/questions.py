"""What a question asks, read from its shape: the kind of answer, the thing it names, a time.

The LLM-free planner works from this reading, and retrieval searches for the thing a question
names whatever model answers. Follow-ups ("and after that?", "what colour was it?", "the
second one") are resolved against the previous turn before they are read.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from videoscout.errors import InvalidTimeError
from videoscout.timefmt import parse_time

# 1:23, 1:23.5, 1:02:03 (a clock time); TIME also takes seconds: 83.5s, 83 seconds
CLOCK = r"\d+(?::\d{1,2}){1,2}(?:\.\d+)?"
TIME = rf"{CLOCK}|\d+(?:\.\d+)?\s*(?:s|sec|secs|seconds?)\b"
_TIME_RE = re.compile(TIME)
# A bare number is a time in seconds where a time is expected: "at 70", "between 30 and 50".
PLAIN = r"\d+(?:\.\d+)?(?![\w:.])"
_NEGATIVE = re.compile(r"\b(?:at|around|near|from|between) (?P<t>-\d+(?:\.\d+)?)")
# Anything shaped like a clock time, valid or not ("1:75", "1:-55"), to refuse what is not one.
_CLOCKISH = re.compile(r"(?<![\w:.])\d+(?::-?\d+)+(?:\.\d+)?")

_X = r"(?P<x>.+?)"
_APPEAR = r"(?:appear|appears|show up|shows up|come up|comes up|occur|occurs|pass|passes|enter|enters|turn up|turns up|be seen|on screen|visible)"  # noqa: E501
_SHAPES: list[tuple[str, re.Pattern]] = [
    (
        "times",
        re.compile(
            rf"^how (?:many times|often) (?:does|do|did|is|are|will) {_X} (?:{_APPEAR}|seen)\b"
        ),
    ),
    ("times", re.compile(rf"^how many (?:appearances|times) (?:of|for|has|by) {_X}$")),
    ("first", re.compile(rf"^when (?:does|do|did|is) {_X} (?:first|initially) {_APPEAR}")),
    ("first", re.compile(rf"^(?:when is )?the first (?:appearance|time) of {_X}$")),
    ("last", re.compile(rf"^when (?:does|do|did|is) {_X} (?:last|finally) {_APPEAR}")),
    ("last", re.compile(rf"^(?:when is )?the last (?:appearance|time) of {_X}$")),
    (
        "after",
        re.compile(
            r"^what (?:appears|comes|happens|shows up|enters|is shown|do we see|follows)"
            rf" (?:right |just |immediately |directly )?after {_X}"
            r"(?: (?:leaves|left|disappears|disappeared|exits|exited|goes|is gone|goes away"
            r"|appears|appeared))?$"
        ),
    ),
    (
        "before",
        re.compile(
            r"^what (?:was|is|were|are) (?:on (?:the )?screen|there|shown|visible)"
            rf" (?:right |just |immediately )?before {_X}"
            r"(?: (?:appeared|appears|showed up|shows up|came|comes|entered|enters))?$"
        ),
    ),
    (
        "before",
        re.compile(
            r"^what (?:happens|happened|came|comes|appears|appeared)"
            rf" (?:right |just |immediately )?before {_X}"
            r"(?: (?:appeared|appears|showed up|shows up|came|comes|entered|enters))?$"
        ),
    ),
    (
        "where",
        re.compile(
            rf"^(?:where|in which scene|in what scene) (?:does|do|did|is|are) {_X}"
            rf"(?: {_APPEAR})?$"
        ),
    ),
    (
        "when",
        re.compile(
            rf"^(?:when|at what time|at what point) (?:does|do|did|is|are|will) {_X}"
            rf" {_APPEAR}"
        ),
    ),
    ("when", re.compile(rf"^when (?:can|do) (?:i|we|you) see {_X}$")),
    ("when", re.compile(rf"^(?:find|show me|locate) {_X}$")),
    (
        "exists",
        re.compile(rf"^(?:is|are) there (?:an? |any )?{_X}(?: in (?:the|this) video| at all)?$"),
    ),  # noqa: E501
    (
        "exists",
        re.compile(
            rf"^(?:does|do|did) {_X} (?:ever )?{_APPEAR}(?: in (?:the|this) video| at all)?$"
        ),
    ),  # noqa: E501
]
# Questions about what is said, and about the text on screen.
_SPEAKER = (
    r"(?:the )?(?:narrator|speaker|voice|presenter|host|he|she|they|someone|somebody|anyone|people)"  # noqa: E501
)
_SAY = r"(?:say|says|said|tell|tells|told|mention|mentions|mentioned)"
_EDGE = r"(?P<edge>appears|appeared|shows up|showed up|enters|entered|comes in|leaves|left|disappears|disappeared|exits|exited|goes away)"  # noqa: E501
_SAID_AROUND = [
    re.compile(
        rf"^what (?:does|did|do) {_SPEAKER} {_SAY}"
        rf" (?:right |just |immediately )?(?P<rel>after|when|as) {_X} {_EDGE}$"
    ),
    re.compile(
        rf"^what (?:is|was) (?:said|spoken|heard|narrated)"
        rf" (?:right |just |immediately )?(?P<rel>after|when|as) {_X} {_EDGE}$"
    ),
]
_SAID_AT = re.compile(
    rf"^what (?:does|did|do) {_SPEAKER} {_SAY}$|^what (?:is|was) (?:said|spoken|heard|narrated)$"
)
_SPOKEN = [
    re.compile(rf"^(?:when|at what time|where) (?:does|did|do) {_SPEAKER} {_SAY} {_X}$"),
    re.compile(rf"^(?:when|at what time) (?:is|was|are|were) {_X} (?:said|spoken|mentioned)$"),
    re.compile(rf"^(?:does|did|do) {_SPEAKER} (?:ever )?{_SAY} {_X}$"),
]
_WRITTEN_AT = re.compile(
    r"^what(?:'s| is| was| does| did)? (?:the )?(?:text|written|the text|writing|title|caption|"
    r"sign|slide)(?: (?:is|was|does|did|says?|said|reads?|read))?(?: written| shown)?"
    r"(?: on (?:the )?screen)?(?: say| read)?$"
    r"|^what (?:is|was) written(?: on (?:the )?screen)?$"
)
_LEAVES = ("leaves", "left", "disappears", "disappeared", "exits", "exited", "goes away")
_DESCRIBE = re.compile(
    rf"(?:between|from) (?P<a>{TIME}|{PLAIN}) (?:and|to|-|until) (?P<b>{TIME}|{PLAIN})"
    rf"|(?P<c>{TIME})\s*(?:-|–|to)\s*(?P<d>{TIME})"
    rf"|^(?:describe|summari[sz]e) (?P<e>{PLAIN})\s*(?:-|–|to)\s*(?P<f>{PLAIN})"
)
_WHOLE = re.compile(
    r"^(?:describe|summari[sz]e|sum up)(?: what happens in)? (?:the|this) (?:whole |entire )?"
    r"(?:video|clip|film|movie)$|^what happens in (?:the|this) (?:whole )?(?:video|clip|film)$"
)
_AT = re.compile(rf"\b(?:at|around|near) (?P<t>{TIME}|{PLAIN})")
_ON_SCREEN = re.compile(
    r"^what(?:'s| is| was| happens| happened| is happening| can be seen| do (?:i|we|you) see)"
    r"(?: on (?:the )?screen| shown| visible| there| in the (?:frame|picture|video))?$"
)
_FOLLOW_AFTER = re.compile(
    r"^(?:and |so )?(?:what )?(?:(?:happens|comes|appears) )?(?:right |just )?"
    r"(?:after (?:that|it|this|them)|next|then)$"
)
_FOLLOW_BEFORE = re.compile(
    r"^(?:and |so )?(?:what )?(?:(?:happens|happened|came|was there) )?(?:right |just )?"
    r"before (?:that|it|this|them)$"
)
_ORDINAL = re.compile(
    r"\b(?:the )?(?P<n>first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th) (?:one|moment|time|appearance)\b"  # noqa: E501
)
_ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3,
             "4th": 3, "fifth": 4, "5th": 4, "last": -1}  # fmt: skip
_PRONOUN = re.compile(r"\b(?:it|that|this|they|them|its)\b")
_ARTICLES = re.compile(r"^(?:the|a|an|any|some|that|this)\s+")
_WH = re.compile(
    r"^(?:what|when|where|who|which|how|why|is|are|does|do|did|can|could|was|were|will|show me"
    r"|find)\b\s*(?:(?:is|are|does|do|did|was|were|happens|happened|time|many|much)\b\s*)*"
)


@dataclass(frozen=True)
class Intent:
    """A question's reading. ``kind``: when, first, last, times, after, before, where, exists,
    at (a question about the frame at ``time``), describe (``start``-``end``; the whole video
    without them), said (what is said when ``subject`` appears, or leaves when ``edge`` is
    "end"; or at ``time``), spoken (when words ``subject`` are said), written (the text on
    screen at ``time``), unclear ("it" with nothing before it), open (anything else).
    ``subject`` is the thing it names; ``ask`` the question to put to frames; ``anchor`` an
    earlier answer's window a follow-up refers to."""

    kind: str
    subject: str | None = None
    ask: str | None = None
    time: float | None = None
    start: float | None = None
    end: float | None = None
    anchor: tuple[float, float] | None = None
    edge: str | None = None  # "start" or "end" of the subject's appearance, for said

    def to_dict(self) -> dict:
        data = asdict(self)
        data["anchor"] = list(self.anchor) if self.anchor else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Intent:
        anchor = data.get("anchor")
        return cls(**{**data, "anchor": tuple(anchor) if anchor else None})


def clean(question: str) -> str:
    text = " ".join(question.lower().replace("’", "'").split())
    return text.rstrip(" ?.!")


def subject_of(text: str) -> str:
    text = text.strip(" ,.?!")
    while True:
        stripped = _ARTICLES.sub("", text)
        if stripped == text:
            return text
        text = stripped


def read(question: str, previous: dict | None = None) -> Intent:
    """The intent of ``question``; ``previous`` is the last turn (its intent and citations),
    against which follow-ups are resolved."""
    text = clean(question)
    follow = _follow_up(text, previous) if previous else None
    if follow is not None:
        return follow
    if previous and previous.get("subject") and _PRONOUN.search(text):
        head = previous["subject"]
        text = _PRONOUN.sub(f"the {head}", text)
    if _WHOLE.match(text):
        return Intent("describe", ask=text)
    heard = _about_words(text)
    if heard is not None:
        return heard
    span = _DESCRIBE.search(text)
    if span:
        a, b = [t for t in span.groups() if t is not None]
        try:
            return Intent("describe", start=parse_time(_t(a)), end=parse_time(_t(b)), ask=text)
        except InvalidTimeError:
            pass
    at = _AT.search(text)
    if at:
        try:
            time = parse_time(_t(at["t"]))
        except InvalidTimeError:
            time = None
        if time is not None:
            rest = " ".join((text[: at.start()] + text[at.end() :]).split())
            if _ON_SCREEN.match(rest) or not rest:
                return Intent("at", time=time)
            return Intent("at", time=time, ask=rest + "?", subject=_named(rest))
    for kind, pattern in _SHAPES:
        match = pattern.match(text)
        if match:
            subject = subject_of(match["x"])
            if subject and not _PRONOUN.fullmatch(subject):
                return Intent(kind, subject=subject)
    # A previous turn that found nothing gives "it" nothing to refer to either.
    known = previous and (previous.get("subject") or previous.get("windows"))
    if _PRONOUN.search(text) and not known and not _TIME_RE.search(text):
        return Intent("unclear", ask=text + "?")
    return Intent("open", subject=_named(text) or None, ask=text + "?")


def _about_words(text: str) -> Intent | None:
    """A question about what is said or written on screen, if ``text`` is one."""
    for pattern in _SAID_AROUND:
        match = pattern.match(text)
        if match:
            edge = "end" if match["edge"] in _LEAVES else "start"
            return Intent("said", subject=subject_of(match["x"]), edge=edge)
    at = _AT.search(text)
    rest = " ".join((text[: at.start()] + text[at.end() :]).split()) if at else text
    time = _time_or_none(at["t"]) if at else None
    if _SAID_AT.match(rest) and time is not None:
        return Intent("said", time=time)
    if _WRITTEN_AT.match(rest) and time is not None:
        return Intent("written", time=time)
    for pattern in _SPOKEN:
        match = pattern.match(text)
        if match:
            return Intent("spoken", subject=subject_of(match["x"].strip("'\"")))
    return None


def unreadable_time(question: str) -> str | None:
    """Why a time written in ``question`` is not one ("1:75": seconds past 59; "at -5"), if
    one is not: such a question is refused as asked, not answered as another question."""
    text = clean(question)
    for match in _CLOCKISH.finditer(text):
        try:
            parse_time(match.group())
        except InvalidTimeError:
            return (
                f'"{match.group()}" in the question is not a time: write minutes:seconds or '
                "hours:minutes:seconds with each number after a colon below 60, or plain "
                "seconds (1:15 or 75)"
            )
    negative = _NEGATIVE.search(text)
    if negative:
        return f'"{negative["t"]}" in the question is not a time: times count from 0 (0:00)'
    return None


def pronoun_in(text: str) -> str:
    """The word that refers back in ``text`` ("it", "that"), for saying it is unclear."""
    match = _PRONOUN.search(text)
    return match.group() if match else "it"


def _time_or_none(text: str) -> float | None:
    try:
        return parse_time(_t(text))
    except InvalidTimeError:
        return None


def _follow_up(text: str, previous: dict) -> Intent | None:
    windows = [tuple(w) for w in previous.get("windows", [])]
    subject = previous.get("subject")
    # Without an earlier window the thing is looked for again (and, not found, said so).
    anchor = windows[0] if windows else None
    if _FOLLOW_AFTER.match(text) and (anchor or subject):
        return Intent("after", subject=subject, anchor=anchor)
    if _FOLLOW_BEFORE.match(text) and (anchor or subject):
        return Intent("before", subject=subject, anchor=anchor)
    ordinal = _ORDINAL.search(text)
    if ordinal and windows:
        index = _ORDINALS[ordinal["n"]]
        if -len(windows) <= index < len(windows):
            start, end = windows[index]
            rest = _ORDINAL.sub("", text).strip(" ,")
            ask = None if not rest or rest in ("and", "what about", "and what about") else rest
            return Intent("at", subject=subject, time=(start + end) / 2, anchor=(start, end),
                          ask=_with_subject(ask, subject))  # fmt: skip
    if _PRONOUN.search(text) and windows and not _TIME_RE.search(text):
        kinds = [kind for kind, pattern in _SHAPES if pattern.match(_with_subject(text, subject))]
        if not kinds or kinds[0] in ("exists",):
            start, end = windows[0]
            return Intent("at", subject=subject, time=(start + end) / 2, anchor=(start, end),
                          ask=_with_subject(text, subject) + "?")  # fmt: skip
    return None


def _with_subject(text: str | None, subject: str | None) -> str | None:
    """``it`` becomes ``the <head noun>``: "what colour is it" -> "what colour is the circle"."""
    if text is None or not subject:
        return text
    head = subject.split()[-1]
    return _PRONOUN.sub(f"the {head}", text.replace(" was ", " is ").replace(" were ", " are "))


def _named(text: str) -> str:
    """The thing a free-form question names: the question without its wh-words."""
    return subject_of(_WH.sub("", text))


def _t(text: str) -> str:
    return re.sub(r"\s*(?:s|sec|secs|seconds?)$", "", text.strip())


def times_in(text: str) -> list[float]:
    """Every time written in ``text`` (1:23, 1:23.5, 83.5 s), in order."""
    found = []
    for match in _TIME_RE.finditer(text):
        try:
            found.append(parse_time(_t(match.group())))
        except InvalidTimeError:
            continue
    return found
