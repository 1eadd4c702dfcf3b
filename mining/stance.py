"""Stance and dialogue-context features of a customer message, for the objection detector.

An objection is resistance to what the business proposed, so what a message *does* matters more
than what it is about: "your price is fair" and "your price is too high" share a topic and differ
in stance. :func:`stance_features` turns each text (and, when known, the agent turn it replies
to) into a small vector of lexical signals:

- stance of the message: refusing, hesitating or deferring, doubting, stating a constraint
  (budget, only, too much), making a counter-offer, versus agreeing, praising, committing,
  thanking or greeting;
- its form: a question, negations, a number or an amount of money, its length;
- the turn it answers: whether the agent's previous turn named a price, made a proposal or asked
  for something, and a few interactions (an amount answering an amount is a counter-offer;
  agreement answering a proposal is acceptance).

The lexicons are written from how customers talk in general (chat and e-mail, many
industries); they are features of a learned classifier, never a verdict on their own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

#: First words that open a question when the question mark is missing (casual chat).
QUESTION_OPENERS = frozenset({
    "what", "what's", "whats", "how", "how's", "when", "where", "which", "who", "why", "do",
    "does", "did", "can", "could", "would", "will", "is", "are", "was", "were", "should", "may",
    "has", "have", "any", "anyone", "whereabouts"})

#: First words that open a request ("please send the contract", "let's book Tuesday").
REQUEST_OPENERS = frozenset({"please", "pls", "plz", "kindly", "let's", "lets"})
#: A wish stated at the start of a sentence is a request too ("we'd like to start a trial").
WISH_OPENERS = (" i'd like", " we'd like", " i would like", " we would like", " i'd love",
                " we'd love", " i would love", " we would love")


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


_LEX: dict[str, re.Pattern[str]] = {
    "refuse": _rx(
        r"\bno,? thanks?\b", r"\bno thank you\b", r"\bnot (really )?interested\b",
        r"\b(i'll|i will|we'll|we will|gonna|going to|have to|i must|i'll have to) pass\b",
        r"\bpass on\b", r"\bno way\b", r"\bnot for (me|us)\b", r"^\s*(nope|nah|no)\b",
        r"\b(won't|wont|will not|not going to|not gonna) (be |go|buy|sign|pay|do|work|happen)",
        r"\b(can't|cant|cannot|can not) (do|go|accept|agree|pay|afford|justify|make)",
        r"\bdecline\b", r"\bforget (it|about it)\b", r"\bno deal\b", r"\bnot happening\b",
        r"\b(don't|dont|do not|doesn't) (want|need)\b", r"\bstop (call|email|messag|text)",
        r"\bunsubscribe\b", r"\bremove me\b", r"\bnot (buying|paying|signing)\b",
        r"\bwalk away\b", r"\bnot worth\b", r"\b(i'm|im|i am|we're|we are) out\b",
        r"\bdecided (not|against)\b"),
    "hesitate": _rx(
        r"\bthink (about|it over|on it|it through)\b", r"\bsleep on it\b",
        r"\bnot (so |too )?sure\b",
        r"\bunsure\b", r"\bmaybe\b", r"\bperhaps\b", r"\bi guess\b", r"^\s*h+m+\b",
        r"\blet me (see|check|think|get back|consider|look)", r"\bget back to you\b",
        r"\bneed (some )?(more )?time\b", r"\bhold(ing)? off\b", r"\bwait\b", r"\blater\b",
        r"\bnot yet\b", r"\bconsider\b", r"\bon the fence\b", r"\bundecided\b", r"\btorn\b",
        r"\bmull\b", r"\bnot (ready|now|right now|at the moment)\b", r"\bsome other time\b",
        r"\bhesita", r"\bi don'?t know\b", r"\bidk\b", r"\bnot convinced\b", r"\brather\b"),
    "doubt": _rx(
        r"\breally\?", r"\bdoubt", r"\bskeptic", r"\bsceptic", r"\bsuspicious\b",
        r"\bhow (do|can|would) (i|we) (know|be sure|trust|tell)\b", r"\btoo good to be true\b",
        r"\bscam", r"\blegit\b", r"\bworr(y|ied|ies)\b", r"\bconcern", r"\bnervous\b",
        r"\bwary\b", r"\brisk", r"\bcatch\b", r"\bhidden\b", r"\bsketchy\b", r"\bdodgy\b",
        r"\bshady\b", r"\bfishy\b", r"\bdamage", r"\bscratch", r"\bdefect", r"\bbroken\b",
        r"\bproblem", r"\bissue", r"\bwrong with\b", r"\bwhy (so|is it|are you) (cheap|selling)",
        r"\bproof\b", r"\bguarantee", r"\bclaim", r"\bbad reviews?\b", r"\bburn(ed|t)\b"),
    "constraint": _rx(
        r"\b(my|our) budget\b", r"\b(no|over|above|beyond|out of) (the |my |our )?budget\b",
        r"\bafford", r"\btoo (much|high|expensive|pricey|steep|long|far|big|"
        r"small|late|early|complicated|complex|old|used|risky)\b", r"\b(can|could) only\b",
        r"\bonly (have|got|need|want|willing)\b", r"\bmax(imum)?\b", r"\bat most\b",
        r"\bthe most (i|we)\b", r"\btight\b", r"\bbroke\b", r"\bstudent\b", r"\bexpensive\b",
        r"\bpricey\b", r"\bsteep\b", r"\boverpriced\b", r"\bcheaper\b", r"\b(go|any) lower\b",
        r"\bfor less\b", r"\bdiscount\b", r"\bknock\b", r"\bcome down\b", r"\bgo down\b",
        r"\bnegotia", r"\bmore than (i|we)\b", r"\bout of (my|our) (price )?range\b",
        r"\bon a (tight )?budget\b", r"\bfixed income\b",
        r"\bcan'?t (spend|go (higher|above|over))"),
    "offer": _rx(
        r"\b(would|could|will|can|might) you (take|do|accept|go|consider|let it go|part|sell)",
        r"\bhow about\b", r"\bwhat about\b", r"\b(i'll|i will|i can|i could|we can|we could|"
        r"i'd|i would) (do|pay|give|offer|go)\b", r"\bmy (best|final|max|last|top) (offer|price)",
        r"\bbest (price|you can do|offer)\b", r"\bmeet (me )?(in the )?(middle|halfway)\b",
        r"\blowest\b", r"\bfinal offer\b", r"\boffer(ing)? (you )?\$?\d",
        r"\bwilling to (pay|go|do)",
        r"\bfirm\b", r"\bbudge\b", r"\bwiggle room\b", r"\bflexible on\b", r"\bthrow in\b",
        r"\bif you (throw|include|add|drop|lower|knock|come down|do)\b"),
    "agree": _rx(
        r"^\s*(yes|yeah|yep|yup|yea|ya|sure|ok|okay|k|kk|alright|all right|deal|agreed|"
        r"absolutely|definitely|of course|perfect|great|cool|fine|awesome|excellent|done)\b",
        r"\bsounds (good|great|fair|reasonable|perfect|fine|like a plan)\b",
        r"\b(that|it) works\b", r"\bworks for (me|us)\b", r"\bdeal\b", r"\blet'?s do (it|this)\b",
        r"\bi'?ll take it\b", r"\bcount me in\b", r"\bgo ahead\b", r"\bsign me up\b",
        r"\bi agree\b", r"\bfair enough\b", r"\bconvinced\b", r"\bhappy (to|with)\b",
        r"\b(i'm|im|i am|we're|we are) in\b", r"\bsold\b", r"\bbook it\b", r"\baccept",
        r"\bmakes sense\b", r"\bthat'?s (fair|reasonable|fine|great|perfect|good)\b",
        r"\bno problem\b", r"\bno worries\b", r"\bsure thing\b"),
    "praise": _rx(
        r"\blov(e|ely)\b", r"\bgreat\b", r"\bwonderful\b", r"\bamazing\b", r"\bawesome\b",
        r"\bfantastic\b", r"\bexcellent\b", r"\bbeautiful\b", r"\bnice\b", r"\bimpress",
        r"\bworthy\b", r"\bbrilliant\b", r"\bperfect\b", r"\bgorgeous\b", r"\bgood cause\b",
        r"\bwell done\b", r"\bhelpful\b", r"\bglad\b", r"\bexcit", r"\bcool\b",
        r"\b(really|so|very) (good|nice|useful)\b", r"\bworth (it|every)\b", r"\bthe best\b"),
    "thanks": _rx(r"\bthank", r"\bthanks\b", r"\bthx\b", r"\bty\b", r"\bcheers\b",
                  r"\bappreciate"),
    "greeting": _rx(
        r"^\s*(hi|hello|hey|hiya|good (morning|afternoon|evening)|greetings|howdy|dear)\b",
        r"\bbye\b", r"\bgoodbye\b", r"\bhave a (good|nice|great|lovely)\b", r"\btake care\b",
        r"\btalk soon\b", r"\bhow are you\b", r"\bhope you('re| are) well\b"),
    "commit": _rx(
        r"\b(i'll|i will|we'll|we will|i'd like to|we'd like to|i want to|we want to) (buy|take|"
        r"order|sign|book|donate|pay|go with|get|purchase|proceed|start|renew|upgrade)",
        r"\b(i'm|im|i am|we're|we are) (ready|happy|keen|excited) to\b",
        r"\blet'?s (go|proceed|book|sign|do|start|get started)\b",
        r"\bwhen can (i|we) (pick|collect|start|get|come)\b", r"\bwhere do (i|we) (sign|pay)\b",
        r"\bsend (me |us )?(the )?(invoice|contract|link|details|address|paperwork)\b",
        r"\b(i've|i have|we've|we have|just) (paid|signed|ordered|booked|donated|placed)\b",
        r"\bpick (it )?up\b", r"\bi'?ll come (by|over|get)\b"),
}

#: An amount of money or a bare number of two or more digits ("$200", "150", "2k", "ten bucks").
_MONEY = re.compile(r"[$£€]\s?\d|\b\d[\d,.]*\s?(k|bucks|dollars|usd|eur|euros?|pounds|quid)\b"
                    r"|\b\d{2,}\b|\b(hundred|thousand|grand|bucks)\b", re.IGNORECASE)
#: A number in a text, with an optional currency sign, thousands commas and a "k" suffix.
_AMOUNT = re.compile(r"(?<![\w.])[$£€]?\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s?(k\b)?",
                     re.IGNORECASE)
_NEGATION = re.compile(r"\b(not|no|never|nothing|none|nobody|neither|nor|without)\b|n't\b|"
                       r"\b(dont|cant|wont|isnt|arent|doesnt|didnt|wouldnt|couldnt)\b",
                       re.IGNORECASE)
_CTX_PROPOSAL = _rx(
    r"\bhow about\b", r"\bi can (do|offer|give|let|go|include|throw)\b",
    r"\bwould you (like|be interested|consider|be willing|want)\b", r"\bthe price is\b",
    r"\b(it's|its) yours for\b", r"\bi('ll| will| could| can) (give|throw|include|let|do|knock)\b",
    r"\bdeal\?", r"\boffer", r"\bdiscount", r"\bspecial\b", r"\bwe (can|could) (do|offer)\b",
    r"\bready to\b", r"\bshall (i|we)\b", r"\bwant to (book|go|sign|buy|order|donate|start)\b",
    r"\binterested in\b", r"\bsign up\b", r"\bdonat", r"\bcontribut", r"\blet me know\b",
    r"\basking\b", r"\bfirm\b", r"\bbest i can\b", r"\bplan\b", r"\bquote\b", r"\bpropos",
    r"\brecommend", r"\bsuggest", r"\btrial\b", r"\bdemo\b", r"\bbook\b", r"\bupgrade\b")
_CTX_ASK = _rx(r"\b(would|could|can|will) you\b", r"\bare you (ready|interested|willing|able)\b",
               r"\bdo you want\b", r"\bshall we\b", r"\bhow (much|many) would you\b",
               r"\bwhat do you (say|think)\b", r"\bcan i (put you|sign you|book you|count)\b")

#: Names of the columns of :func:`stance_features`, in order.
STANCE_FEATURES = (
    "refuse", "hesitate", "doubt", "constraint", "offer", "agree", "praise", "thanks",
    "greeting", "commit", "question", "request", "negations", "money", "length",
    "context", "context_money", "context_proposal", "context_question", "context_ask",
    "counter", "offer_x_context_money", "agree_x_proposal", "question_x_proposal",
    "negation_x_ask", "agree_without_negation", "praise_without_contrast",
    "amount_below_context", "amount_new")

_CONTRAST = re.compile(r"\b(but|however|though|although|except|still|yet|whereas)\b",
                       re.IGNORECASE)


def _first_word(text: str) -> str:
    return text.split(maxsplit=1)[0].lower().strip(",.!:;\"'()") if text else ""


def is_question(text: str) -> bool:
    """Return whether a sentence is a question: a question mark, or a question opener."""
    t = text.strip()
    if t.endswith("?"):
        return True
    return _first_word(t) in QUESTION_OPENERS


def is_request(text: str) -> bool:
    """Return whether a sentence asks for something: a question, or a request ("please ...")."""
    t = text.strip()
    if is_question(t):
        return True
    low = f" {t.lower()}"
    return (_first_word(t) in REQUEST_OPENERS or " please" in low
            or any(w in low[:24] for w in WISH_OPENERS))


#: Stances that a negation just before the match cancels ("isn't too much", "not worried").
_NEGATABLE = frozenset({"doubt", "constraint", "praise", "agree"})
_NEG_BEFORE = re.compile(r"(n't|\bnot|\bno|\bnever|\bnothing)\W+(\w+\W+)?$", re.IGNORECASE)


def _hit(name: str, rx: re.Pattern[str], t: str) -> float:
    for m in rx.finditer(t):
        if name in _NEGATABLE and _NEG_BEFORE.search(t[max(0, m.start() - 24):m.start()]):
            continue
        return 1.0
    return 0.0


def amounts(text: str) -> list[float]:
    """The numbers a text names, as floats ("$1,200" -> 1200, "2k" -> 2000); 0-4 are dropped."""
    out = []
    for m in _AMOUNT.finditer(text):
        v = float(m.group(1).replace(",", "")) * (1000.0 if m.group(2) else 1.0)
        if v >= 5:
            out.append(v)
    return out


def _amount_flags(text: str, context: str) -> tuple[float, float]:
    """Whether the text names less than the agent's amount, and an amount the agent did not.

    In a negotiation, answering an amount with a lower one is a counter-offer; repeating the
    agent's amount ("ok, 180 works") is usually acceptance.
    """
    mine, theirs = amounts(text), amounts(context)
    if not mine or not theirs:
        return 0.0, 0.0
    below = float(max(mine) < max(theirs))
    new = float(any(all(abs(a - b) > 1e-6 for b in theirs) for a in mine))
    return below, new


def _one(text: str, context: str) -> list[float]:
    t = text.replace("\u2019", "'")
    hits = {name: _hit(name, rx, t) for name, rx in _LEX.items()}
    question = float(is_question(t))
    request = float(is_request(t))
    negations = float(min(len(_NEGATION.findall(t)), 3))
    money = float(bool(_MONEY.search(t)))
    length = float(np.log1p(len(t.split())))
    c = (context or "").replace("\u2019", "'")
    has_ctx = float(bool(c.strip()))
    c_money = float(bool(_MONEY.search(c)))
    c_prop = float(bool(_CTX_PROPOSAL.search(c)))
    c_q = float("?" in c)
    c_ask = float(bool(_CTX_ASK.search(c)))
    contrast = bool(_CONTRAST.search(t))
    return [
        hits["refuse"], hits["hesitate"], hits["doubt"], hits["constraint"], hits["offer"],
        hits["agree"], hits["praise"], hits["thanks"], hits["greeting"], hits["commit"],
        question, request, negations, money, length,
        has_ctx, c_money, c_prop, c_q, c_ask,
        money * c_money, hits["offer"] * c_money, hits["agree"] * c_prop, question * c_prop,
        float(negations > 0) * c_ask, hits["agree"] * float(negations == 0),
        hits["praise"] * float(not contrast), *_amount_flags(t, c),
    ]


def stance_features(texts: Sequence[str], contexts: Sequence[str | None] | None = None
                    ) -> np.ndarray:
    """Stance and context features of each text.

    Args:
        texts: Customer texts (a sentence or a whole message).
        contexts: Per text, the agent turn it replies to (None or "" when unknown); None for
            all unknown.

    Returns:
        float64 ``(len(texts), len(STANCE_FEATURES))``: 0/1 flags, ``negations`` (0-3),
        ``length`` (log of 1 + words).
    """
    if contexts is None:
        contexts = [""] * len(texts)
    pairs = [(t if isinstance(t, str) else "", c if isinstance(c, str) else "")
             for t, c in zip(texts, contexts, strict=True)]
    done: dict[tuple[str, str], list[float]] = {}  # a repeated (text, context) is scored once
    rows = [done[p] if p in done else done.setdefault(p, _one(*p)) for p in pairs]
    if not rows:
        return np.zeros((0, len(STANCE_FEATURES)))
    return np.asarray(rows, dtype=np.float64)


def stance_flags(row: np.ndarray) -> list[str]:
    """The names of the non-zero 0/1 stance and context flags of one feature row (evidence)."""
    skip = {"negations", "length"}
    return [n for n, v in zip(STANCE_FEATURES, row, strict=True) if n not in skip and v > 0]
