"""The options every command that reads inputs shares, defined once, and the settings they make.

:func:`input_options` adds ``--events``/``--outcomes`` (repeatable), ``--map``, ``--timezone``,
``--agent-domain``, ``--agent-address``, ``--agent-name``, ``--date-order``, ``--config``,
``--taxonomy``, ``--no-redact``, ``--embedder`` and ``--reducer`` to a command (``run``,
``tag``, ``themes``); the command receives them as one :class:`InputOptions` whose
:meth:`InputOptions.settings` resolves ``Settings``: the ``--config`` file (or the defaults)
first, then every option the user gave on top. Help texts read their defaults from
``mining.config``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from mining.cli._app import app, handle_errors
from mining.config import Settings, default, load_settings, read_config_file
from mining.errors import ConfigError, Errors

InputsArg = Annotated[list[Path], typer.Argument(
    help="Message files or folders: chat JSONL/CSV/Parquet/JSON exports, .eml, .mbox.")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder (created if needed).")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", help="Settings file (TOML, one table per settings section; see "
    "docs/architecture.md). Options given on the command line override it.")]
EventsOpt = Annotated[list[Path] | None, typer.Option(
    "--events", help="Events file: visits, bookings, purchases… (repeatable).")]
OutcomesOpt = Annotated[list[Path] | None, typer.Option(
    "--outcomes", help="Outcomes file: journey_id, converted, value (repeatable).")]
MapOpt = Annotated[str | None, typer.Option(
    "--map", help="Map fields to your columns: text=body,role=sender_type.")]
TimezoneOpt = Annotated[str | None, typer.Option(
    "--timezone", help="IANA time zone of naive timestamps "
    f"(default {default('ingest', 'timezone')}).")]
AgentDomainOpt = Annotated[list[str] | None, typer.Option(
    "--agent-domain", help="E-mail domain of your staff, e.g. acme.com (repeatable).")]
AgentAddressOpt = Annotated[list[str] | None, typer.Option(
    "--agent-address", help="E-mail address of your staff (repeatable).")]
AgentNameOpt = Annotated[list[str] | None, typer.Option(
    "--agent-name", help="Your name in WhatsApp, Messenger or Telegram chats, e.g. "
    "'Bright Smile Dental' (repeatable).")]
DateOrderOpt = Annotated[str | None, typer.Option(
    "--date-order", help="WhatsApp dates: auto (decided per file), dmy or mdy "
    f"(default {default('ingest', 'date_order')}).")]
NoRedactOpt = Annotated[bool, typer.Option(
    "--no-redact", help="Keep personal data (e-mails, phones, names) in the outputs.")]
TaxonomyOpt = Annotated[Path | None, typer.Option(
    "--taxonomy", help="Folder of taxonomy YAML files (default: the packaged ones).")]
EmbedderOpt = Annotated[str | None, typer.Option(
    "--embedder", help="Embedding model: a sentence-transformers name or folder (default "
    f"{default('embed', 'model')}, packaged), or 'hash' for a fast model-free run.")]
ReducerOpt = Annotated[str | None, typer.Option(
    "--reducer", help="Dimension reducer before clustering: umap or pca (faster) "
    f"(default {default('themes', 'reducer')}).")]


def parse_map(value: str | None) -> dict[str, str]:
    """Parse ``--map text=body,role=sender_type`` into ``{"text": "body", ...}``.

    Raises:
        ConfigError: [E003] for a malformed value.
    """
    if not value:
        return {}
    out = {}
    for part in value.split(","):
        if "=" not in part:
            raise ConfigError(Errors.E003.format(value=value))
        k, v = part.split("=", 1)
        if not k.strip() or not v.strip():
            raise ConfigError(Errors.E003.format(value=value))
        out[k.strip()] = v.strip()
    return out


def build_settings(config: Path | None = None, *, column_map: str | None = None,
                   timezone: str | None = None, agent_domains: list[str] | None = None,
                   agent_addresses: list[str] | None = None,
                   agent_names: list[str] | None = None, date_order: str | None = None,
                   no_redact: bool = False,
                   taxonomy: Path | None = None, embedder: str | None = None,
                   reducer: str | None = None, **sections: dict[str, Any]) -> Any:
    """Resolve ``Settings``: the ``--config`` file (or defaults), then the options given.

    Args:
        config: ``--config`` file, or None for the defaults.
        column_map: ``--map`` value.
        timezone: ``--timezone`` value.
        agent_domains: ``--agent-domain`` values.
        agent_addresses: ``--agent-address`` values.
        agent_names: ``--agent-name`` values (chat-app exports).
        date_order: ``--date-order`` value (WhatsApp dates).
        no_redact: ``--no-redact`` was given.
        taxonomy: ``--taxonomy`` folder.
        embedder: ``--embedder`` name.
        reducer: ``--reducer`` name.
        **sections: Further options per section, e.g. ``themes={"seed": 7}``; None values are
            skipped.

    Returns:
        The validated ``mining.config.Settings``.

    Raises:
        ConfigError: [E001] invalid settings (all at once), [E003] bad ``--map``, [E007] bad file.
        InputError: [E100] when the config file does not exist.
    """
    base = read_config_file(config) if config is not None else Settings()
    data = base.model_dump()
    given = {
        "ingest": {"column_map": parse_map(column_map) or None, "timezone": timezone,
                   "agent_domains": list(agent_domains or []) or None,
                   "agent_addresses": list(agent_addresses or []) or None,
                   "agent_names": list(agent_names or []) or None, "date_order": date_order,
                   "redact": False if no_redact else None},
        "tagging": {"taxonomy_dir": taxonomy},
        "embed": {"model": embedder},
        "themes": {"reducer": reducer},
    }
    for section, values in sections.items():
        given.setdefault(section, {}).update(values)
    for section, values in given.items():
        data[section].update({k: v for k, v in values.items() if v is not None})
    return load_settings(data)


def load_inputs(inputs: list[Path], settings: Any, events: list[Path] | None,
                outcomes: list[Path] | None) -> Any:
    """Read the inputs into a corpus with the resolved settings (``mining.load_corpus``)."""
    # startup: mining.io.corpus (numpy, pandas, pyarrow) loads only when the command runs
    from mining.io.corpus import load_corpus

    return load_corpus([str(p) for p in inputs], events=[str(p) for p in events or []] or None,
                       outcomes=[str(p) for p in outcomes or []] or None, settings=settings)


@dataclass
class InputOptions:
    """The shared input options of one command invocation (see :func:`input_options`)."""

    events: EventsOpt = None
    outcomes: OutcomesOpt = None
    column_map: MapOpt = None
    timezone: TimezoneOpt = None
    agent_domain: AgentDomainOpt = None
    agent_address: AgentAddressOpt = None
    agent_name: AgentNameOpt = None
    date_order: DateOrderOpt = None
    config: ConfigOpt = None
    taxonomy: TaxonomyOpt = None
    no_redact: NoRedactOpt = False
    embedder: EmbedderOpt = None
    reducer: ReducerOpt = None

    def settings(self, **sections: dict[str, Any]) -> Any:
        """Resolve ``Settings``; ``sections`` as for :func:`build_settings`."""
        return build_settings(self.config, column_map=self.column_map, timezone=self.timezone,
                              agent_domains=self.agent_domain,
                              agent_addresses=self.agent_address,
                              agent_names=self.agent_name, date_order=self.date_order,
                              no_redact=self.no_redact,
                              taxonomy=self.taxonomy, embedder=self.embedder,
                              reducer=self.reducer, **sections)

    def corpus(self, inputs: list[Path], settings: Any) -> Any:
        """Read ``inputs`` (with the events and outcomes files) into a corpus."""
        return load_inputs(inputs, settings, self.events, self.outcomes)


F = TypeVar("F", bound=Callable[..., Any])


def input_options(func: F) -> F:
    """Decorator: add the shared input options to a Typer command.

    The command declares a last parameter ``opts: InputOptions``; the options appear on the
    command line after the command's own, and ``opts`` receives them.

    Args:
        func: The command function.

    Returns:
        The wrapped function with the options in its signature.
    """
    own = [p for name, p in inspect.signature(func, eval_str=True).parameters.items()
           if name != "opts"]
    hints = inspect.get_annotations(InputOptions, eval_str=True)
    shared = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default,
                                annotation=hints[f.name]) for f in fields(InputOptions)]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        opts = InputOptions(**{f.name: kwargs.pop(f.name) for f in fields(InputOptions)})
        return func(*args, opts=opts, **kwargs)

    wrapper.__signature__ = inspect.Signature([  # type: ignore[attr-defined]
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared)
    return wrapper  # type: ignore[return-value]


def input_command(name: str) -> Callable[[F], F]:
    """Register a command that reads inputs: ``app.command`` + ``handle_errors`` + the options.

    Args:
        name: The command name.

    Returns:
        The decorator.
    """
    def decorator(func: F) -> F:
        app.command(name)(handle_errors(input_options(func)))
        return func

    return decorator
