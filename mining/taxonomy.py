"""Loading and validating the YAML taxonomies in ``taxonomies/``.

A taxonomy folder holds four files, one per kind: ``stages.yaml``, ``objections.yaml``,
``intents.yaml`` and ``replies.yaml``. Every file has the same shape (one pydantic schema with
``extra="forbid"``)::

    kind: objections
    extends: base            # optional: 'base' (the packaged file of the same kind) or a path
    categories:
      price:
        label: Price or budget
        description: The cost is too high for the buyer or over budget.
        cues:                # spaCy Matcher patterns on lowercased lemmas
          - "too expensive"  # a phrase: "a|b" alternatives, "right_now" several words, "*" any
          - [{LEMMA: cost}, {LEMMA: {IN: [too, so]}}, {LEMMA: much}]   # a raw token pattern
        examples: ["...", "..."]

Every problem in a file (and in the files it extends) is reported at once, each with its location,
e.g. ``objections.yaml: price -> cues[3]: unknown token attribute 'LEMMAX'``. Cue patterns are
validated by adding them to a real :class:`spacy.matcher.Matcher`.

Variants: a file with ``extends`` starts from its base, overrides the fields it gives per category
(a category given in full replaces nothing else), adds new categories and drops those listed in
``remove``. A variant folder may hold only some kinds; the others come from the packaged folder.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any, Literal, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, ValidationError

from mining.errors import ConfigError, Errors
from mining.text.segment import get_nlp

KINDS = ("stages", "objections", "intents", "replies")

#: Minimum number of example utterances per category (similarity needs a few prototypes).
MIN_EXAMPLES = 3

#: Lemma aliases used when a phrase cue is compiled: the lookup lemmatizer leaves the first half
#: of "can't"/"won't" as "ca"/"wo".
_LEMMA_ALIASES = {"can": ["can", "ca"], "will": ["will", "wo"], "not": ["not", "n't", "never"]}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Category(_Strict):
    """One category: a stage, an objection kind, an intent or a reply strategy."""

    label: str = ""
    description: str
    cues: list[Any] = Field(default_factory=list)
    examples: list[str] = Field(default_factory=list)
    events: list[str] = Field(default_factory=list)  # stages only: event types reaching the stage


class Negation(_Strict):
    """How cue matches are cancelled by negation or hedging (objections, intents, replies)."""

    lemmas: list[str] = Field(default_factory=lambda: ["not", "never", "no", "n't", "without"])
    window: int = Field(3, ge=1, le=10)  # tokens before a match that can negate it
    cancel: list[Any] = Field(default_factory=list)  # patterns that cancel the unit's cue evidence


class Moves(_Strict):
    """Relative weights of the moves between consecutive messages (normalised per stage)."""

    stay: float = Field(0.8, gt=0)
    forward: float = Field(0.15, ge=0)  # to the next stage
    skip: float = Field(0.03, ge=0)  # two or more stages ahead
    back: float = Field(0.02, ge=0)  # any earlier stage (a realistic setback)


def _new_session() -> Moves:
    return Moves(stay=0.35, forward=0.55, skip=0.05, back=0.05)


def _other_roles() -> Moves:
    return Moves(stay=0.97, forward=0.02, skip=0.0, back=0.01)


class Transitions(Moves):
    """Transition preferences of the stage sequence model.

    The top-level weights apply to a customer message in the same session as the message before
    it; ``new_session`` to a customer message after a gap of ``session_gap_hours`` or more
    (``session_gap_by_channel`` overrides it per channel: e-mail replies are slower; a
    customer who comes back has usually moved on) or opening a new conversation of the journey
    (a new chat session or e-mail thread); ``other_roles`` to agent, bot and system
    messages (they follow the customer's stage rather than move it).
    """

    stay_by_stage: dict[str, float] = Field(default_factory=dict)  # customer steps: stay weight
    session_gap_hours: float = Field(6.0, gt=0)
    # per-channel session gaps: a reply within two days is part of the same e-mail exchange
    session_gap_by_channel: dict[str, PositiveFloat] = Field(
        default_factory=lambda: {"email": 48.0})
    new_session: Moves = Field(default_factory=_new_session)
    other_roles: Moves = Field(default_factory=_other_roles)
    start: dict[str, float] = Field(default_factory=dict)  # initial stage weights; default: first


class TaxonomyFile(_Strict):
    """The schema of one taxonomy YAML file."""

    kind: Literal["stages", "objections", "intents", "replies"]
    extends: str | None = None
    version: int = 1
    description: str = ""
    categories: dict[str, Category]
    remove: list[str] = Field(default_factory=list)
    negative_examples: list[str] = Field(default_factory=list)  # objections: non-objections
    negation: Negation = Field(default_factory=Negation)
    transitions: Transitions | None = None  # stages only
    conversion_stage: str | None = None  # stages only: the stage a conversion reaches
    post_conversion_stage: str | None = None  # stages only: messages after converted_at

    @property
    def names(self) -> list[str]:
        """Category keys in file order."""
        return list(self.categories)


class Taxonomy:
    """The four taxonomy files of one folder, validated.

    Attributes:
        stages, objections, intents, replies: :class:`TaxonomyFile` objects.
        source: Folder (or file) they were loaded from.
    """

    def __init__(self, files: dict[str, TaxonomyFile], source: str) -> None:
        self.files = files
        self.source = source

    def __getattr__(self, kind: str) -> TaxonomyFile:
        files = self.__dict__.get("files", {})
        if kind in files:
            return files[kind]
        raise AttributeError(kind)

    def __repr__(self) -> str:
        parts = ", ".join(f"{k}={len(v.categories)}" for k, v in self.files.items())
        return f"Taxonomy({parts}, source='{self.source}')"


class StageOrder(NamedTuple):
    """The journey stages of a taxonomy, in order (what :func:`stage_order` returns).

    Attributes:
        names: Stage names in journey order.
        conversion: The stage a conversion reaches (``conversion_stage``), or None.
        post_conversion: The stage of messages after a conversion, or None.
    """

    names: tuple[str, ...]
    conversion: str | None
    post_conversion: str | None

    def rank(self, stage: Any) -> int:
        """Position of ``stage`` in :attr:`names`, -1 when it is not a stage of the taxonomy."""
        return self.names.index(stage) if stage in self.names else -1


def stage_order(taxonomy: Taxonomy | TaxonomyFile | str | Path | None = None) -> StageOrder:
    """The stage order and the conversion stages of a taxonomy: the one source of stage names.

    Args:
        taxonomy: A loaded :class:`Taxonomy`, its stages :class:`TaxonomyFile`, a taxonomy folder
            or file, or None for the packaged taxonomy.

    Returns:
        The :class:`StageOrder`.

    Raises:
        ConfigError: [E400] when the taxonomy given by path is invalid.
    """
    tf = taxonomy
    if not isinstance(tf, (Taxonomy, TaxonomyFile)):
        tf = _packaged_stages() if tf is None else load_taxonomy(tf)
    if isinstance(tf, Taxonomy):
        tf = tf.stages
    return StageOrder(tuple(tf.names), tf.conversion_stage, tf.post_conversion_stage)


def _packaged_stages() -> TaxonomyFile:
    """The packaged stages file, loaded once per process."""
    global _PACKAGED_STAGES
    if _PACKAGED_STAGES is None:
        _PACKAGED_STAGES = load_file(default_dir() / "stages.yaml")
    return _PACKAGED_STAGES


_PACKAGED_STAGES: TaxonomyFile | None = None


# --------------------------------------------------------------------------------------------
# locating the packaged taxonomies


def default_dir() -> Path:
    """Return the packaged taxonomy folder (inside the wheel, else the source tree's root)."""
    here = Path(__file__).resolve().parent
    for cand in (here / "taxonomies", here.parent / "taxonomies"):
        if (cand / "objections.yaml").is_file():
            return cand
    return here.parent / "taxonomies"


# --------------------------------------------------------------------------------------------
# cue patterns


def _nlp() -> Any:
    return get_nlp("")


def _token_spec(lemma: str, surface: str) -> dict[str, Any]:
    alts: list[str] = []
    for a in _LEMMA_ALIASES.get(lemma, [lemma]) + [surface]:
        if a and a not in alts:
            alts.append(a)
    return {"LEMMA": alts[0]} if len(alts) == 1 else {"LEMMA": {"IN": alts}}


#: Most token patterns one phrase cue may expand into.
MAX_EXPANSION = 64


def phrase_to_patterns(phrase: str) -> list[list[dict[str, Any]]]:
    """Compile a phrase cue into spaCy Matcher token patterns on lemmas.

    Groups are separated by spaces; each group lists alternatives separated by ``|``. An
    alternative of several words joins them with ``_`` (``right_now|now|yet``); ``*`` is an
    optional wildcard token. Words are lowercased and lemmatized with the lookup lemmatizer.

    Args:
        phrase: e.g. ``"too expensive"`` or ``"not * right_now|yet"``.

    Returns:
        One or more token patterns (several when a group has multi-word alternatives).

    Raises:
        ValueError: When the phrase is empty or expands into too many patterns.
    """
    nlp = _nlp()
    groups: list[list[list[dict[str, Any]]]] = []
    for group in phrase.lower().split():
        if group == "*":
            groups.append([[{"OP": "?"}]])
            continue
        singles: list[str] = []
        options: list[list[dict[str, Any]]] = []
        for alt in group.split("|"):
            words = alt.replace("_", " ").strip()
            if not words:
                continue
            doc = nlp(words)
            toks = [(t.lemma_ or t.text, t.text) for t in doc]
            if len(toks) == 1:
                lemma, surface = toks[0]
                for a in _LEMMA_ALIASES.get(lemma, [lemma]) + [surface]:
                    if a not in singles:
                        singles.append(a)
            elif toks:
                options.append([_token_spec(lemma, surface) for lemma, surface in toks])
        if singles:
            spec = {"LEMMA": singles[0]} if len(singles) == 1 else {"LEMMA": {"IN": singles}}
            options.insert(0, [spec])
        if options:
            groups.append(options)
    if not groups or all(g == [[{"OP": "?"}]] for g in groups):
        raise ValueError("the phrase has no words")
    n = 1
    for g in groups:
        n *= len(g)
    if n > MAX_EXPANSION:
        raise ValueError(f"the phrase expands into {n} patterns (at most {MAX_EXPANSION}); "
                         "split it into several cues")
    return [[tok for part in combo for tok in part] for combo in itertools.product(*groups)]


def compile_cue(cue: Any) -> list[list[dict[str, Any]]]:
    """Return the token patterns of a cue: phrases are compiled, a token list passes through."""
    return phrase_to_patterns(cue) if isinstance(cue, str) else [cue]


_PAT_LINE = re.compile(r"^- \[pattern -> (\d+)(?: -> (.*?))?\] (.*)$")


def check_cue(cue: Any, where: str) -> list[str]:
    """Validate one cue by adding it to a spaCy Matcher; return problems (empty when fine)."""
    vocab = _nlp().vocab  # loads spaCy the one way (get_nlp: without torch)
    # heavy: spacy.errors, spacy.matcher load only when check_cue() runs
    from spacy.errors import MatchPatternError
    from spacy.matcher import Matcher

    if not isinstance(cue, (str, list)) or (isinstance(cue, list) and
                                            not all(isinstance(t, dict) for t in cue)):
        return [Errors.E405.format(where=where,
                                   detail="a cue is a phrase or a list of token attribute maps")]
    try:
        patterns = compile_cue(cue)
    except Exception as err:  # noqa: BLE001 - reported with its location
        return [Errors.E405.format(where=where, detail=err)]
    if not patterns or not all(patterns):
        return [Errors.E405.format(where=where, detail="the pattern has no tokens")]
    matcher = Matcher(vocab, validate=True)
    try:
        matcher.add("cue", patterns)
    except MatchPatternError as err:
        problems = []
        for line in str(err).splitlines():
            m = _PAT_LINE.match(line.strip())
            if not m:
                continue
            tok, path, msg = m.groups()
            parts = (path or "").split(" -> ")
            if len(parts) == 1 and parts[0] and "Extra inputs" in msg:
                problems.append(Errors.E404.format(where=where, attr=parts[0]))
            else:
                loc = f"token {tok}" + (f" -> {path}" if path else "")
                problems.append(Errors.E405.format(where=where, detail=f"{loc}: {msg}"))
        return problems or [Errors.E405.format(where=where, detail=str(err).splitlines()[0])]
    except (ValueError, TypeError, KeyError) as err:
        return [Errors.E405.format(where=where, detail=str(err).splitlines()[0])]
    return []


# --------------------------------------------------------------------------------------------
# loading


def _loc(fname: str, loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    items = list(loc)
    if items and items[0] == "categories" and len(items) > 1:
        items = items[1:]
    for p in items:
        if isinstance(p, int) and parts:
            parts[-1] += f"[{p}]"
        else:
            parts.append(str(p))
    return f"{fname}: " + (" -> ".join(parts) if parts else "(top)")


def _read_yaml(path: Path, problems: list[str]) -> dict | None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        problems.append(Errors.E401.format(where=path.name, detail=err))
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        detail = " ".join(str(err).split())
        problems.append(Errors.E402.format(where=path.name, detail=detail))
        return None
    if not isinstance(data, dict):
        problems.append(Errors.E403.format(where=f"{path.name}: (top)",
                                           detail="the file must be a mapping with 'kind' and "
                                                  "'categories'"))
        return None
    return data


def _resolve_extends(path: Path, data: dict, problems: list[str]) -> Path | None:
    ext = data.get("extends")
    if ext in (None, ""):
        return None
    if ext == "base":
        kind = data.get("kind") or path.stem.split("-")[0]
        cand = default_dir() / f"{kind}.yaml"
    else:
        cand = (path.parent / str(ext)).resolve()
        if cand.is_dir():
            cand = cand / f"{data.get('kind', path.stem)}.yaml"
    if not cand.is_file():
        problems.append(Errors.E408.format(where=f"{path.name}: extends", name=ext))
        return None
    if cand.resolve() == path.resolve():
        problems.append(Errors.E409.format(where=f"{path.name}: extends", name=ext))
        return None
    return cand


def _merge(base: dict, child: dict, fname: str, problems: list[str]) -> dict:
    out = {k: v for k, v in base.items() if k not in ("extends",)}
    for k, v in child.items():
        if k in ("categories", "remove", "extends"):
            continue
        out[k] = v
    cats = {k: dict(v) if isinstance(v, dict) else v
            for k, v in (base.get("categories") or {}).items()}
    for name, spec in (child.get("categories") or {}).items():
        if isinstance(spec, dict) and isinstance(cats.get(name), dict):
            cats[name] = {**cats[name], **spec}
        else:
            cats[name] = spec
    for i, name in enumerate(child.get("remove") or []):
        if name not in cats:
            problems.append(Errors.E412.format(where=f"{fname}: remove[{i}]", name=name))
        cats.pop(name, None)
    out["categories"] = cats
    out["remove"] = []
    out["extends"] = child.get("extends")
    return out


def _raw_with_bases(path: Path, problems: list[str], seen: tuple[Path, ...] = ()) -> dict | None:
    data = _read_yaml(path, problems)
    if data is None:
        return None
    if path.resolve() in seen:
        problems.append(Errors.E409.format(where=f"{path.name}: extends", name=path.name))
        return None
    base_path = _resolve_extends(path, data, problems)
    if base_path is None:
        return data
    base = _raw_with_bases(base_path, problems, seen + (path.resolve(),))
    if base is None:
        return None
    return _merge(base, data, path.name, problems)


def _category_checks(kind: str, name: str, cat: Category, fname: str,
                     problems: list[str], seen_examples: dict[str, str]) -> None:
    for i, cue in enumerate(cat.cues):
        problems.extend(check_cue(cue, f"{fname}: {name} -> cues[{i}]"))
    if len(cat.examples) < MIN_EXAMPLES:
        problems.append(Errors.E406.format(where=f"{fname}: {name} -> examples",
                                           need=MIN_EXAMPLES, got=len(cat.examples)))
    for i, ex in enumerate(cat.examples):
        key = " ".join(ex.lower().split())
        if key in seen_examples:
            problems.append(Errors.E413.format(where=f"{fname}: {name} -> examples[{i}]",
                                               text=ex[:60], other=seen_examples[key]))
        else:
            seen_examples[key] = name
    if cat.events and kind != "stages":
        problems.append(Errors.E410.format(where=f"{fname}: {name} -> events",
                                           key="events", kind="stages"))


def _semantic_checks(tf: TaxonomyFile, fname: str, problems: list[str]) -> None:
    need = 2 if tf.kind == "stages" else 1
    if len(tf.categories) < need:
        problems.append(Errors.E415.format(where=f"{fname}: categories", need=need,
                                           got=len(tf.categories)))
    seen_examples: dict[str, str] = {}
    for name, cat in tf.categories.items():
        _category_checks(tf.kind, name, cat, fname, problems, seen_examples)
    for i, cue in enumerate(tf.negation.cancel):
        problems.extend(check_cue(cue, f"{fname}: negation -> cancel[{i}]"))
    if tf.kind != "stages":
        for key in ("transitions", "conversion_stage", "post_conversion_stage"):
            if getattr(tf, key) is not None:
                problems.append(Errors.E410.format(where=f"{fname}: {key}", key=key,
                                                   kind="stages"))
        return
    choices = ", ".join(tf.names)
    for key in ("conversion_stage", "post_conversion_stage"):
        val = getattr(tf, key)
        if val is not None and val not in tf.categories:
            problems.append(Errors.E407.format(where=f"{fname}: {key}", name=val, choices=choices))
    if tf.transitions is not None:
        for name in tf.transitions.stay_by_stage:
            if name not in tf.categories:
                problems.append(Errors.E407.format(where=f"{fname}: transitions -> stay_by_stage",
                                                   name=name, choices=choices))
        for name in tf.transitions.start:
            if name not in tf.categories:
                problems.append(Errors.E407.format(where=f"{fname}: transitions -> start",
                                                   name=name, choices=choices))


def load_file(path: str | Path, problems: list[str] | None = None) -> TaxonomyFile | None:
    """Load and validate one taxonomy file (with its ``extends`` chain).

    Args:
        path: The YAML file.
        problems: When given, problems are appended here and None is returned on failure;
            otherwise a :class:`ConfigError` is raised.

    Returns:
        The validated file, or None when ``problems`` was given and there were problems.

    Raises:
        ConfigError: [E400] listing every problem, when ``problems`` is None.
    """
    path = Path(path)
    own = problems is None
    found: list[str] = []
    if not path.is_file():
        found.append(Errors.E411.format(path=path))
        tf = None
    else:
        tf = _validate(path, found)
    if own and found:
        raise ConfigError(Errors.E400.format(problems="\n".join(f"  {p}" for p in found)))
    if problems is not None:
        problems.extend(found)
    return None if found else tf


def _validate(path: Path, problems: list[str]) -> TaxonomyFile | None:
    fname = path.name
    before = len(problems)
    data = _raw_with_bases(path, problems)
    if data is None or len(problems) > before:
        return None
    stem = path.stem.split("-")[0]
    if stem in KINDS and data.get("kind") not in (None, stem):
        problems.append(Errors.E414.format(where=f"{fname}: kind", got=data.get("kind"),
                                           expected=stem))
    try:
        tf = TaxonomyFile.model_validate(data)
    except ValidationError as err:
        for e in err.errors():
            problems.append(Errors.E403.format(where=_loc(fname, e["loc"]), detail=e["msg"]))
        # still check what we can reach, so every problem is reported at once
        seen: dict[str, str] = {}
        for name, cat in (data.get("categories") or {}).items():
            try:
                valid = Category.model_validate(cat)
            except ValidationError:
                if isinstance(cat, dict) and isinstance(cat.get("cues"), list):
                    for i, cue in enumerate(cat["cues"]):
                        problems.extend(check_cue(cue, f"{fname}: {name} -> cues[{i}]"))
                continue
            _category_checks(str(data.get("kind")), name, valid, fname, problems, seen)
        return None
    _semantic_checks(tf, fname, problems)
    return None if len(problems) > before else tf


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load a taxonomy folder (or one file), filling missing kinds from the packaged folder.

    Args:
        path: A folder with ``stages.yaml``, ``objections.yaml``, ``intents.yaml`` and
            ``replies.yaml`` (any may be missing), one such file, or None for the packaged ones.

    Returns:
        The validated :class:`Taxonomy`.

    Raises:
        ConfigError: [E400] listing every problem of every file, each with its location.
    """
    base = default_dir()
    src = Path(path) if path is not None else base
    problems: list[str] = []
    if not src.exists():
        raise ConfigError(Errors.E400.format(problems=f"  {Errors.E411.format(path=src)}"))
    chosen: dict[str, Path] = {}
    if src.is_file():
        data = _read_yaml(src, problems) or {}
        kind = data.get("kind") or src.stem.split("-")[0]
        if kind in KINDS:
            chosen[kind] = src
    else:
        for kind in KINDS:
            cands = sorted(src.glob(f"{kind}.yaml")) + sorted(src.glob(f"{kind}-*.yaml"))
            if cands:
                chosen[kind] = cands[0]
    files: dict[str, TaxonomyFile] = {}
    for kind in KINDS:
        tf = load_file(chosen.get(kind, base / f"{kind}.yaml"), problems)
        if tf is not None:
            files[kind] = tf
    if problems:
        raise ConfigError(Errors.E400.format(problems="\n".join(f"  {p}" for p in problems)))
    return Taxonomy(files, str(src))


def check_path(path: str | Path) -> tuple[list[str], list[str]]:
    """Validate a taxonomy file or folder for ``journeymine taxonomy check``.

    Args:
        path: A YAML file or a folder of them.

    Returns:
        ``(summaries, problems)``: one summary line per valid file, and every problem found.
    """
    src = Path(path)
    if not src.exists():
        return [], [Errors.E411.format(path=src)]
    paths = [src] if src.is_file() else sorted(src.glob("*.yaml")) + sorted(src.glob("*.yml"))
    if not paths:
        return [], [Errors.E411.format(path=src / "*.yaml")]
    summaries, problems = [], []
    for p in paths:
        tf = load_file(p, problems)
        if tf is not None:
            n_ex = sum(len(c.examples) for c in tf.categories.values())
            n_cue = sum(len(c.cues) for c in tf.categories.values())
            summaries.append(f"{p.name}: {tf.kind}, {len(tf.categories)} categories, "
                             f"{n_cue} cues, {n_ex} examples"
                             + (f" (extends {tf.extends})" if tf.extends else ""))
    return summaries, problems


def matcher_rules(tf: TaxonomyFile) -> dict[str, list[list[dict[str, Any]]]]:
    """Rule name -> token patterns: one rule per category with cues, plus ``__cancel__``."""
    rules = {}
    for name, cat in tf.categories.items():
        pats = [p for c in cat.cues for p in compile_cue(c)]
        if pats:
            rules[name] = pats
    cancel = [p for c in tf.negation.cancel for p in compile_cue(c)]
    if cancel:
        rules["__cancel__"] = cancel
    return rules


def compile_matcher(tf: TaxonomyFile, vocab: Any) -> Any:
    """Build a spaCy Matcher with one rule per category (cues) plus ``__cancel__``.

    Args:
        tf: A validated taxonomy file.
        vocab: The pipeline's vocab.

    Returns:
        The :class:`spacy.matcher.Matcher` of :func:`matcher_rules`.
    """
    # heavy: spacy.matcher loads only when compile_matcher() runs (spaCy is loaded with vocab)
    from spacy.matcher import Matcher

    matcher = Matcher(vocab)
    for name, pats in matcher_rules(tf).items():
        matcher.add(name, pats)
    return matcher
