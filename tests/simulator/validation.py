"""Validation of simulated invocations and of payloads the bot sends (Discord's limits)."""

from __future__ import annotations

from typing import Any

from .models import SimValidationError, walk_components

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
OPTION_TYPE_NAMES = {
    1: "subcommand",
    2: "subcommand group",
    3: "string",
    4: "integer",
    5: "boolean",
    6: "user",
    7: "channel",
    8: "role",
    9: "mentionable",
    10: "number",
    11: "attachment",
}
MAX_SAFE_INT = 2**53


class FormError(Exception):
    """A payload that Discord would reject with 400 Invalid Form Body (code 50035 / 50006)."""

    def __init__(self, message: str, code: int = 50035, errors: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.errors = errors or {}


def find_command(commands: list[dict[str, Any]], path: str, cmd_type: int = 1) -> dict[str, Any]:
    """Look up a registered command by its first word; raise SimValidationError if missing."""
    name = path.split()[0]
    for cmd in commands:
        if cmd.get("name") == name and cmd.get("type", 1) == cmd_type:
            return cmd
    known = sorted(c.get("name", "?") for c in commands if c.get("type", 1) == cmd_type)
    raise SimValidationError(f"unknown command {name!r}; registered: {known}")


def resolve_path(cmd: dict[str, Any], path: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Walk "group sub" words; return the subcommand names and the leaf's option specs."""
    words = path.split()[1:]
    specs: list[dict[str, Any]] = cmd.get("options") or []
    chain: list[str] = []
    for word in words:
        match = next(
            (o for o in specs if o.get("name") == word and o["type"] in (1, 2)),
            None,
        )
        if match is None:
            subs = [o["name"] for o in specs if o["type"] in (1, 2)]
            raise SimValidationError(
                f"/{' '.join([cmd['name'], *chain])}: unknown subcommand {word!r}; known: {subs}"
            )
        chain.append(word)
        specs = match.get("options") or []
    if any(o["type"] in (1, 2) for o in specs):
        subs = [o["name"] for o in specs if o["type"] in (1, 2)]
        raise SimValidationError(
            f"/{' '.join([cmd['name'], *chain])} needs a subcommand, one of {subs}"
        )
    return chain, specs


def check_value(spec: dict[str, Any], value: Any, label: str) -> None:
    """Check a python value against an option spec (type, choices, ranges, lengths)."""
    kind = spec["type"]
    tname = OPTION_TYPE_NAMES.get(kind, str(kind))
    if kind == STRING:
        if not isinstance(value, str):
            raise SimValidationError(f"{label}: expected {tname}, got {type(value).__name__}")
        if "min_length" in spec and len(value) < spec["min_length"]:
            raise SimValidationError(f"{label}: shorter than min_length {spec['min_length']}")
        if "max_length" in spec and len(value) > spec["max_length"]:
            raise SimValidationError(f"{label}: longer than max_length {spec['max_length']}")
        if len(value) > 6000:
            raise SimValidationError(f"{label}: longer than 6000 characters")
    elif kind == INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SimValidationError(f"{label}: expected {tname}, got {type(value).__name__}")
        if abs(value) > MAX_SAFE_INT:
            raise SimValidationError(f"{label}: integer out of Discord's range")
    elif kind == NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SimValidationError(f"{label}: expected {tname}, got {type(value).__name__}")
    elif kind == BOOLEAN:
        if not isinstance(value, bool):
            raise SimValidationError(f"{label}: expected {tname}, got {type(value).__name__}")
    if kind in (INTEGER, NUMBER):
        lo, hi = spec.get("min_value"), spec.get("max_value")
        if lo is not None and value < lo:
            raise SimValidationError(f"{label}: {value} is below min_value {lo}")
        if hi is not None and value > hi:
            raise SimValidationError(f"{label}: {value} is above max_value {hi}")
    choices = spec.get("choices")
    if choices:
        allowed = [c["value"] for c in choices]
        if value not in allowed:
            raise SimValidationError(f"{label}: {value!r} is not one of the choices {allowed}")


def _limit(errors: dict, key: str, text: Any, maximum: int) -> int:
    length = len(text) if isinstance(text, str) else 0
    if length > maximum:
        errors[key] = f"Must be {maximum} or fewer in length (got {length})."
    return length


def validate_message_payload(
    payload: dict[str, Any], *, n_files: int = 0, require_content: bool = True
) -> None:
    """Raise FormError for payloads Discord rejects (empty, too long, bad embeds/components)."""
    errors: dict[str, str] = {}
    content = payload.get("content")
    if content is not None and not isinstance(content, str):
        errors["content"] = "Must be a string."
    _limit(errors, "content", content, 2000)
    embeds = payload.get("embeds") or []
    if len(embeds) > 10:
        errors["embeds"] = "Must be 10 or fewer in length."
    total = 0
    for i, e in enumerate(embeds):
        total += _limit(errors, f"embeds.{i}.title", e.get("title"), 256)
        total += _limit(errors, f"embeds.{i}.description", e.get("description"), 4096)
        fields = e.get("fields") or []
        if len(fields) > 25:
            errors[f"embeds.{i}.fields"] = "Must be 25 or fewer in length."
        for j, f in enumerate(fields):
            if not f.get("name") or not f.get("value"):
                errors[f"embeds.{i}.fields.{j}"] = "Field name and value are required."
            total += _limit(errors, f"embeds.{i}.fields.{j}.name", f.get("name"), 256)
            total += _limit(errors, f"embeds.{i}.fields.{j}.value", f.get("value"), 1024)
        total += _limit(
            errors, f"embeds.{i}.footer.text", (e.get("footer") or {}).get("text"), 2048
        )
        total += _limit(errors, f"embeds.{i}.author.name", (e.get("author") or {}).get("name"), 256)
    if total > 6000:
        errors["embeds"] = f"Embed size exceeds maximum size of 6000 (got {total})."
    components = payload.get("components") or []
    flags = int(payload.get("flags") or 0)
    v2 = bool(flags & (1 << 15))
    _validate_components(components, errors, v2=v2)
    if v2:
        if content or embeds or payload.get("poll"):
            errors["flags"] = "IS_COMPONENTS_V2 messages cannot have content, embeds or polls."
        if len(walk_components(components)) > 40:
            errors["components"] = "Must be 40 or fewer components in total."
    poll = payload.get("poll")
    if errors:
        raise FormError("Invalid Form Body", 50035, errors)
    if require_content and not (
        content or embeds or components or n_files or poll or payload.get("sticker_ids")
    ):
        raise FormError("Cannot send an empty message", 50006)


def _validate_components(components: list[dict[str, Any]], errors: dict, *, v2: bool) -> None:
    if not v2 and len(components) > 5:
        errors["components"] = "Must be 5 or fewer in length."
    seen: set[str] = set()
    for i, row in enumerate(components):
        if not v2 and row.get("type") != 1:
            errors[f"components.{i}.type"] = "Top-level components must be action rows."
        if row.get("type") == 1:
            children = row.get("components") or []
            if not children or len(children) > 5:
                errors[f"components.{i}.components"] = "Action rows need 1 to 5 components."
            if any(c.get("type") in (3, 5, 6, 7, 8) for c in children) and len(children) > 1:
                errors[f"components.{i}.components"] = "A select menu must be alone in its row."
    for comp in walk_components(components):
        cid = comp.get("custom_id")
        if cid is not None:
            if len(cid) > 100:
                errors[f"custom_id {cid[:20]}"] = "Must be 100 or fewer in length."
            if cid in seen:
                errors[f"custom_id {cid}"] = "Component custom id cannot be duplicated."
            seen.add(cid)
        if comp.get("type") == 2:
            if comp.get("style") == 5:
                if not comp.get("url"):
                    errors["button.url"] = "Link buttons need a url."
            elif comp.get("style") != 6 and cid is None:
                errors["button.custom_id"] = "Non-link buttons need a custom_id."
            if len(comp.get("label") or "") > 80:
                errors["button.label"] = "Must be 80 or fewer in length."
        if comp.get("type") == 3:
            options = comp.get("options") or []
            if not 1 <= len(options) <= 25:
                errors[f"select {cid}.options"] = "Must be between 1 and 25 in length."
            values = [o.get("value") for o in options]
            if len(set(values)) != len(values):
                errors[f"select {cid}.options"] = "Option values must be unique."
            for o in options:
                if len(o.get("label") or "") > 100 or len(o.get("value") or "") > 100:
                    errors[f"select {cid}.option"] = "Label/value must be 100 or fewer in length."
            if len(comp.get("placeholder") or "") > 150:
                errors[f"select {cid}.placeholder"] = "Must be 150 or fewer in length."


def validate_choices(choices: Any) -> None:
    """Raise FormError for invalid autocomplete results."""
    errors: dict[str, str] = {}
    if not isinstance(choices, list):
        raise FormError("Invalid Form Body", 50035, {"choices": "Must be a list."})
    if len(choices) > 25:
        errors["choices"] = "Must be 25 or fewer in length."
    for i, c in enumerate(choices):
        name = c.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            errors[f"choices.{i}.name"] = "Must be between 1 and 100 in length."
        value = c.get("value")
        if isinstance(value, str) and len(value) > 100:
            errors[f"choices.{i}.value"] = "Must be 100 or fewer in length."
    if errors:
        raise FormError("Invalid Form Body", 50035, errors)


def validate_modal(data: dict[str, Any]) -> None:
    """Raise FormError for invalid modals."""
    errors: dict[str, str] = {}
    if not data.get("custom_id"):
        errors["custom_id"] = "Required."
    if not data.get("title") or len(data["title"]) > 45:
        errors["title"] = "Must be between 1 and 45 in length."
    comps = data.get("components") or []
    if not 1 <= len(comps) <= 5:
        errors["components"] = "Must be between 1 and 5 in length."
    if errors:
        raise FormError("Invalid Form Body", 50035, errors)


def validate_command_payloads(commands: list[dict[str, Any]]) -> None:
    """Raise FormError for command registrations Discord rejects."""
    errors: dict[str, str] = {}
    seen: set[tuple[str, int]] = set()
    for i, cmd in enumerate(commands):
        name = cmd.get("name", "")
        key = (name, cmd.get("type", 1))
        if key in seen:
            errors[f"{i}.name"] = f"Application command names must be unique ({name})"
        seen.add(key)
        if not 1 <= len(name) <= 32:
            errors[f"{i}.name"] = "Must be between 1 and 32 in length."
        if cmd.get("type", 1) == 1:
            if name != name.lower():
                errors[f"{i}.name"] = "Command name must be lowercase."
            desc = cmd.get("description", "")
            if not 1 <= len(desc) <= 100:
                errors[f"{i}.description"] = "Must be between 1 and 100 in length."
            _validate_option_specs(cmd.get("options") or [], f"{i}", errors)
    if errors:
        raise FormError("Invalid Form Body", 50035, errors)


def _validate_option_specs(options: list[dict[str, Any]], prefix: str, errors: dict) -> None:
    if len(options) > 25:
        errors[f"{prefix}.options"] = "Must be 25 or fewer in length."
    seen_optional = False
    for j, opt in enumerate(options):
        where = f"{prefix}.options.{j}"
        if not 1 <= len(opt.get("name", "")) <= 32:
            errors[f"{where}.name"] = "Must be between 1 and 32 in length."
        if not 1 <= len(opt.get("description", "")) <= 100:
            errors[f"{where}.description"] = "Must be between 1 and 100 in length."
        if opt["type"] in (1, 2):
            _validate_option_specs(opt.get("options") or [], where, errors)
            continue
        if opt.get("required"):
            if seen_optional:
                errors[f"{where}.required"] = "Required options must be placed before optional."
        else:
            seen_optional = True
        if len(opt.get("choices") or []) > 25:
            errors[f"{where}.choices"] = "Must be 25 or fewer in length."
        if opt.get("choices") and opt.get("autocomplete"):
            errors[f"{where}.autocomplete"] = "Autocomplete cannot be used with choices."
