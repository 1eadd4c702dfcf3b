"""Every error and warning message journeymine shows, numbered, in one place.

Call sites raise built-in exception types with a message from here, for example
``raise InputError(Errors.E101.format(path=path))``. Reading ``Errors.E101`` returns the template
prefixed with its code (``"[E101] ..."``). Reject codes in the rejects table use the same numbers.

Ranges, one per area (add new codes at the end of your range; never renumber or reuse a code):

- E001-E099 general, CLI, configuration
- E100-E199 ingestion: unreadable files and record rejects
- E200-E299 text cleaning, segmentation, embeddings
- E300-E399 themes
- E400-E499 taxonomies
- E500-E599 tagging (objections, stages)
- E600-E699 reports and statistics
- E700-E799 run, exports, HTML report
- W001-W999 warnings, same ranges
"""

from __future__ import annotations


class _WithCodes(type):
    def __getattribute__(cls, code: str) -> str:
        msg = super().__getattribute__(code)
        if code.startswith("_") or not isinstance(msg, str):
            return msg
        return f"[{code}] {msg}"


class JourneymineError(Exception):
    """Base class of the errors journeymine raises on purpose; the CLI prints them as one line."""

    exit_code = 2


class InputError(JourneymineError, ValueError):
    """Input that cannot be read at all: missing, unreadable or not the format it claims."""

    exit_code = 2


class ConfigError(JourneymineError, ValueError):
    """Invalid settings, options or taxonomy files."""

    exit_code = 2


class NotFittedError(JourneymineError, RuntimeError):
    """A model was asked to transform before it was fitted or loaded."""

    exit_code = 2


class RejectedDataError(JourneymineError):
    """Raised under ``--strict`` when any input record was rejected."""

    exit_code = 1


class Errors(metaclass=_WithCodes):
    """Error messages. Each is a ``str.format`` template; read one as ``Errors.E001``."""

    # --- general, CLI, configuration (E001-E099)
    E001 = "Invalid settings:\n{problems}"
    E002 = "Unknown {kind} '{name}'. Choose one of: {choices}."
    E003 = "Option --map expects NAME=COLUMN pairs separated by commas, got '{value}'."
    E004 = "Unknown time zone '{tz}'. Use an IANA name such as 'Europe/Berlin' or 'UTC'."
    E005 = "{count} input record(s) were rejected and --strict is set; see {where}."
    E006 = "No input given. Name at least one file or folder."
    # issue 10: settings files, plug-ins
    E007 = "Settings file '{path}' is not valid TOML: {detail}. Fix it, or start from the example in docs/architecture.md."
    E008 = "{slot} must be a registered name or an object with {methods}; got {got}. Register one with @mining.registry.register('{slot}', name)."
    E009 = "Cannot write or read '{path}': {detail}. Check the path and its permissions, or choose another output folder."

    # --- ingestion (E100-E199): file-level errors, then record reject codes
    E100 = "Input path '{path}' does not exist."
    E101 = "Cannot tell the format of '{path}'. Use .jsonl, .json, .csv, .parquet, .eml, .mbox, a folder of .eml files, or a WhatsApp chat export (.txt or .zip)."
    E102 = "'{path}' is not valid {fmt}: {detail}"
    E103 = "'{path}' has no header row (a CSV file must start with column names)."
    E104 = "'{path}' is a truncated or corrupt compressed file: {detail}"
    E105 = "'{path}' looks binary, not {fmt}."
    E106 = "'{path}' has no '{field}' column (columns: {columns}). Name the column with --map {field}=COLUMN."
    E107 = "Cannot read '{path}': {detail}"
    E108 = "'{path}' has no files journeymine can read (.jsonl, .json, .csv, .parquet, .eml, .mbox, optionally .gz; WhatsApp .txt/.zip)."
    E109 = "Cannot write '{path}': {detail}"
    # record reject codes (E110-E149): the rejects table's `code`; reasons never quote message text
    E110 = "Line is not valid JSON: {detail}."
    E111 = "Missing required field '{field}'."
    E112 = "Field '{field}' value '{value}' is not an ISO 8601 timestamp."
    E113 = "Text is empty after cleaning."
    E114 = "Duplicate {field} '{value}'; the first copy ({kept}) was kept."
    E115 = "Record has bytes that are not valid UTF-8; re-save the file as UTF-8."
    E116 = "Message has {length} characters, more than the limit of {limit} (setting ingest.max_message_chars)."
    E117 = "Unknown role '{value}'. Use customer, agent, bot or system (synonyms such as user, lead, rep or staff are mapped)."
    E118 = "Record is not an object (got {kind})."
    E119 = "Field 'converted' value '{value}' is not one of true/false/1/0/yes/no."
    E120 = "Field '{field}' value '{value}' is not a number."
    E121 = "Row has {got} fields but the header has {want}."
    E122 = "Conversation has no 'messages' array."
    # issue 15 (reliability and privacy hardening): record rejects E123-E149, file errors E155-E159
    E123 = "Record holds an escaped lone surrogate (such as \\ud800), which is not a character; fix the exporter or remove it."
    E124 = "A quote opened on this line is never closed; this row is rejected and reading goes on with the next line."
    E125 = "Field '{field}' holds {kind}, not text."
    E126 = "Field '{field}' value '{value}' is outside the supported range of years 1900-2200."
    E156 = "'{path}' is not a complete journeymine run (run.json {detail}); the run that wrote it was interrupted or failed. Run it again."
    # e-mail record reject codes (E150-E169)
    E150 = "Message cannot be parsed as an e-mail: {detail}."
    E151 = "Message has no text body (no text/plain or text/html part{detail})."
    E152 = "Message is empty after removing quoted replies and signatures."
    E153 = "Message body cannot be decoded as text (declared charset '{charset}'); it looks like binary data."
    E154 = "Cannot read e-mail file: {detail}."
    # product exports: WhatsApp, Meta, Telegram, helpdesks (issue 17; E160-E199)
    E160 = "'{path}' is not a WhatsApp chat export: {detail}. Export the chat from WhatsApp (chat > More > Export chat) and pass the .txt or the .zip as it is."
    E161 = "'{path}' is not a readable ZIP archive: {detail}. Pass the .zip WhatsApp made, or the _chat.txt inside it."
    E162 = "'{path}' holds no WhatsApp chat (.txt) file; it holds: {members}."
    E163 = "'{path}' looks like a {product} export but cannot be read: {detail}."
    E164 = "Date '{value}' does not exist when read {order}; pass --date-order {other} if the whole file is {other_name}."
    E165 = "{what} has no text, media or action to read."
    E166 = "Ticket or conversation has no id; cannot tell which messages belong together."

    # --- text, segmentation, embeddings (E200-E299)
    E200 = "Cannot load the embedding model '{name}': {detail}. Name an installed sentence-transformers model or a local folder (models cannot be downloaded here; set HF_HUB_OFFLINE=0 to allow downloads elsewhere)."
    E201 = "Cannot load the spaCy pipeline '{name}': {detail}. Install it, or leave the setting empty to use the built-in blank English pipeline."
    E202 = ("The messages table needs 'message_id' and 'clean_text' (or 'text') columns; "
            "it has: {columns}.")
    E203 = "Cannot filter by role: the messages table has no 'role' column (it has: {columns})."
    E204 = "Expected a 2-d array of vectors (rows x dimensions), got shape {shape}."
    E205 = "'{path}' is not a saved reducer: {detail}"
    # scale: embedding backends, distributed runs (issue 14: E220-E239)
    E220 = "Cannot run the embedding model '{name}' on the ONNX backend: {detail}. Use embed.backend 'torch' (or 'auto', which falls back to torch)."
    E221 = "Running on Dask (--workers/--cluster) needs dask.distributed: pip install 'journeymine[scale]'."
    E222 = "Cannot start or reach {where}: {detail}. Check the scheduler address (tcp://host:8786) and that it runs, or run without --cluster."

    # --- themes (E300-E399)
    E300 = "This {name} is not fitted yet. Call fit() or load() first."
    E301 = "'{path}' is not a saved theme model (missing {missing})."
    E302 = "Need at least {need} texts to find themes, got {got}."
    E303 = ("Cannot find texts to theme: the table needs a 'text' or 'clean_text' column; "
            "it has: {columns}.")
    E304 = "Got vectors of shape {shape} for {n} texts; pass one row of vectors per text."
    E305 = ("The vectors have {got} dimensions but the theme model was fitted on {want}; "
            "embed with the model's embedder.")
    E306 = "Column '{column}' is not in '{path}'; its columns are: {columns}."
    E307 = ("--id-column needs --text-column (plain tables); other inputs carry their own "
            "message ids.")
    E308 = ("The clusterer '{name}' needs the package '{package}', which is not installed "
            "(pip install {package}).")

    # --- taxonomies (E400-E499)
    E400 = "Taxonomy problems:\n{problems}"
    E401 = "{where}: cannot read the file: {detail}"
    E402 = "{where}: not valid YAML: {detail}"
    E403 = "{where}: {detail}"
    E404 = "{where}: unknown token attribute '{attr}'"
    E405 = "{where}: invalid Matcher pattern: {detail}"
    E406 = "{where}: needs at least {need} example(s), got {got}."
    E407 = "{where}: '{name}' is not a stage of this taxonomy. Stages: {choices}."
    E408 = "{where}: extends '{name}', which cannot be found. Use 'base' (the packaged taxonomy) or a path relative to this file."
    E409 = "{where}: extends chain loops back to '{name}'."
    E410 = "{where}: '{key}' only applies to {kind} taxonomies."
    E411 = "Taxonomy path '{path}' does not exist."
    E412 = "{where}: removes '{name}', which the base taxonomy does not have."
    E413 = "{where}: duplicate example '{text}' (also in {other})."
    E414 = "{where}: kind '{got}' does not match the file name; expected '{expected}'."
    E415 = "{where}: a taxonomy needs at least {need} categories, got {got}."

    # --- tagging (E500-E599)
    E500 = "This {name} is not fitted yet. Call fit() or load() first."
    E501 = "'{path}' is not a saved {name} (missing {missing})."
    E502 = "The saved {name} in '{path}' was made with taxonomy categories {saved}, but the taxonomy now has {current}. Refit, or use the taxonomy it was saved with."
    E503 = "Nothing to tag: the corpus has no messages."
    E504 = "{name} needs {what}, got {got}."
    # issue 12: journey stages
    E530 = "Stage label(s) {names} are not stages of the taxonomy ({choices}). Label messages with the taxonomy's stage names, or add those stages to stages.yaml."
    # issue 11: learned objection detector, training examples and user labels (E510-E529)
    E510 = "Cannot read the objection examples file '{path}': {detail}. It needs 'objections' and 'not_objections' sections of examples (text, or text with context)."
    E511 = "Cannot read the labels file '{path}': {detail}. Give the CSV that `journeymine label` wrote, with columns message_id and is_objection (category optional)."
    E512 = "The labels file '{path}' names {count} message id(s) that are not in the corpus (rows {rows}). Label messages of the corpus you tag, or run `journeymine label` on it again."
    E513 = "The labels file '{path}' has {count} is_objection value(s) that are not yes/no/1/0/true/false or blank (rows {rows}). Fix them in the spreadsheet and save it again."
    E514 = "The labels file '{path}' has {count} unknown categor(ies) ({values}; rows {rows}). Use one of: {choices}, or leave the category blank."
    E515 = "The labels file '{path}' has no usable labels ({blank} blank row(s)); teaching needs at least one objection and one non-objection, got {pos} and {neg}. Fill the is_objection column (yes/no)."
    E516 = "Option -n must be a positive number of messages to label, got {value}."
    E517 = "Nothing to label: the input has no customer messages with text."
    E518 = "The objection detector saved in '{path}' uses {saved} features and this version computes {now}: it was saved by another version. Fit it again (`journeymine tag ... --labels FILE`, or run without --model)."

    # --- reports (E600-E699)
    E600 = "Unknown report '{name}'. Choose one of: {choices}."
    E601 = "The {table} table lacks required column(s): {columns}. Pass the output of `journeymine tag` (tags) or an outcomes/events file with these columns."
    E602 = "Cannot read {what} file '{path}': {detail}. Use .csv, .parquet, .jsonl or .json."
    E603 = "Unknown output format '{fmt}'. Choose one of: {choices}."
    E604 = "Option {option} must be {expected}, got '{value}'."

    # --- issue 16: sequences, lead scoring, playbook (E610-E639)
    E610 = "No closed journey to learn from: {detail}. Lead scoring learns from journeys that converted (outcomes with converted=true and converted_at) or went cold (no message or event for cold_after_days = {cold} days before the end of the data); pass the outcomes file with --outcomes, or lower --cold-after."
    E611 = "Cannot learn who converts: all {snapshots} training snapshots of {journeys} closed journeys are '{label}' within {horizon} days. Lead scoring needs journeys that converted and journeys that did not; check the outcomes file (converted, converted_at) or change --horizon."
    E612 = "The tags have no message with a timestamp; lead scoring and sequence mining need message times."
    E613 = "Too few closed journeys to learn from: {converted} converted within {horizon} days of a snapshot and {other} did not; lead scoring needs at least two journeys of each."

    # --- run, exports, HTML (E700-E799)
    E700 = "Output folder '{path}' cannot be written: {detail}"
    E701 = "The sample data folder sample_transcripts/ was not found (looked in: {places}). The demo needs a source checkout: git clone the project and run `make demo` there, or run `journeymine run` on your own files."
    E702 = "Cannot read the tags table '{path}': {detail}. Give the tags.parquet or tags.csv that `journeymine run` wrote."
    E703 = "'{path}' is not a tags table: missing column(s) {missing}."
    E704 = "Format '{fmt}' does not fit the {what} export. Choose one of: {choices}."
    E705 = "No messages left after validation ({count} input record(s) rejected); see {where}."
    # issue 15 (atomic outputs, pseudonymous ids)
    E741 = "Cannot move the finished outputs into '{path}': {detail}. The complete run is kept in '{tmp}'."
    E742 = "Cannot read or create the pseudonymisation key '{path}': {detail}. Set JOURNEYMINE_CACHE to a writable folder."


class Warnings(metaclass=_WithCodes):
    """Warning messages, numbered like errors (``W001``)."""

    W001 = "{count} input record(s) rejected; they are listed in the rejects table."
    W100 = "'{path}': {count} record(s) rejected."
    # issue 15 (reliability and privacy hardening)
    W101 = "{path}: skipped {count} hidden file(s) or folder(s) (names starting with '.'): {shown}"
    W102 = "{path}: skipped {count} journeymine output folder(s) (they hold a run.json): {shown}"
    W103 = "{path}: the file holds JSON null, no records."
    W104 = "--map {field}={column}: this file has no column '{column}'; {fallback}."
    # product exports (issue 17; W120-W149)
    W120 = "'{path}': its dates fit both day-first and month-first; read as {order} ({why}). Pass --date-order dmy or mdy if that is wrong."
    W121 = "'{path}': no --agent-name matches an author and the business could not be detected; every author is taken as a customer ({authors} authors)."
    W122 = "'{path}': '{name}' taken as the business (agent): {why}. Pass --agent-name to choose."
    W200 = "The spaCy pipeline '{name}' is not installed; using the built-in blank English pipeline."
    # issue 15: embedding cache integrity
    W201 = "The embedding cache file '{path}' is damaged ({detail}); it was removed and its texts will be embedded again."
    # issue 12: journey stages
    W510 = "{share:.0%} of the {n} tagged messages are in stage '{stage}' (of {n_stages} stages): the journey map, funnel and paths will say little. {help}"
    W511 = "Stage '{stage}' is unsure: mean confidence {confidence:.2f} over {n} messages (below {threshold:.2f}). {help}"
    W512 = "What would help: an events file (--events) with visits, bookings or purchases, a converted_at column in the outcomes, or a stages taxonomy of your own (--taxonomy) whose examples sound like your conversations (see docs/stages.md)."
    # issue 11: labels (W500-W509)
    W500 = "Labels file '{path}': {count} blank row(s) skipped (no is_objection value)."
    # scale (issue 14: W210-W219)
    W210 = "The embedding model '{name}' runs on torch instead of int8 ONNX Runtime ({detail}); it works, only slower."
    # issue 14 (single-machine speed): the fitted built-in model cache (mining.fitted_cache)
    W211 = "The cached fitted model '{path}' is damaged ({detail}); it was removed and the model is fitted again."
    W212 = "A cue-matching helper process stopped ({detail}); its part of the batch was matched in this process instead (slower, same tags)."
    W600 = "{unmatched} of {total} outcome rows name no journey in the tags, and {missing} of {journeys} journeys have no outcome (counted as not converted). Check that the outcomes belong to these tags."

    # --- issue 16 (W610-W619)
    W610 = "Out-of-time validation skipped: {detail}. The scores are still written, but their quality is not measured; add older closed journeys."
    W611 = "No open journey to score at {as_of}: every journey converted or has been silent for {cold} days or more. Nothing to rank today; the model's validation is still reported."
