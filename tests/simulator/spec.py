"""Validation against Discord's own OpenAPI description of its HTTP API (vendored in openapi/).

The whole document is registered with `referencing`, so every internal `$ref` resolves; it is
loaded once per process and a validator is compiled once per operation and direction. Request
paths are matched to the spec's path templates (the most literal template wins, so
`/users/@me` beats `/users/{user_id}`).

Where the spec and Discord's documentation differ, the documentation wins:
* field errors in a 400 answer (`errors` → `_errors` → `code`) are strings such as
  `BASE_TYPE_MAX_LENGTH` in Discord's documentation but integers in the spec, so the `errors`
  member of an error answer is left out of response validation;
* limits the spec leaves looser (message content 2,000 characters, not 4,000) are checked by
  the simulator's own validation.py;
* `follow_documentation` relaxes, in memory only (the vendored file stays as published), the
  few places where the spec refuses what Discord's documentation shows it accepting.
"""

from __future__ import annotations

import functools
import json
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_PATH = Path(__file__).with_name("openapi") / "openapi.json"
SPEC_URI = "urn:discord:openapi"
#: How many distinct valid request bodies are remembered (least recently used dropped).
REQUEST_CACHE_SIZE = 4096


@dataclass(frozen=True)
class SpecViolation:
    """A request body the bot sent, or an answer the simulator gave, that breaks the spec."""

    #: "request" (the bot's fault: answered 400) or "response" (a simulator bug).
    kind: str
    method: str
    #: The request path after /api/v10.
    path: str
    #: The spec's operationId, e.g. "create_message".
    operation: str
    #: The answer's status for a response violation (None for a request).
    status: int | None
    #: Where in the body, as a dotted path ("embeds.0.title"; "" for the top level).
    where: str
    message: str

    def __str__(self) -> str:
        at = f" at {self.where}" if self.where else ""
        status = f" ({self.status})" if self.status is not None else ""
        return (
            f"{self.kind} of {self.method} {self.path} [{self.operation}]{status}{at}: "
            f"{self.message}"
        )


@dataclass(frozen=True)
class Operation:
    """One operation of the spec: where its schemas live in the document."""

    method: str
    template: str
    operation_id: str
    pointer: str


def _plain(value: Any) -> bool:
    """An integer or a string (what Discord's enums hold), not a boolean."""
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    """JSON equality of two plain values (1 and "1" differ)."""
    return type(a) is type(b) and a == b


def _discriminated(resolve: Any, registry: Registry[Any]) -> type[Draft202012Validator]:
    """Draft 2020-12 with faster `$ref`, `oneOf` and `anyOf` for this spec, same verdicts.

    An enum written as a union of `const` branches is decided by counting equal values (for
    an integer or string; anything else takes the general path).

    Discord's unions (components, callbacks) are objects told apart by an integer `type`
    whose schema is an `enum`. A branch whose `properties.type.enum` lacks the instance's
    `type` fails its `properties` keyword anyway, so leaving it out changes no verdict; it
    only spares validating the whole branch. When no branch is left the full union runs, so
    error messages stay complete.
    """
    allowed: dict[int, tuple[Any, frozenset[Any] | None]] = {}

    def values(sub: Any) -> frozenset[Any] | None:
        hit = allowed.get(id(sub))
        if hit is None:
            target = resolve(sub["$ref"]) if isinstance(sub, dict) and "$ref" in sub else sub
            kind = target.get("properties", {}).get("type") if isinstance(target, dict) else None
            found: frozenset[Any] | None = None
            if isinstance(kind, dict) and isinstance(kind.get("enum"), list):
                found = frozenset(v for v in kind["enum"] if isinstance(v, (int, str)))
            hit = allowed[id(sub)] = (sub, found)
        return hit[1]

    def candidates(branches: list[Any], instance: Any) -> list[Any]:
        if not isinstance(instance, dict) or not isinstance(instance.get("type"), (int, str)):
            return branches
        kind = instance["type"]
        kept = []
        for sub in branches:
            found = values(sub)
            if found is None or kind in found:
                kept.append(sub)
        return kept or branches

    const_unions: dict[int, tuple[Any, list[Any] | None]] = {}
    annotations = {"const", "title", "description"}

    def consts(branches: list[Any]) -> list[Any] | None:
        """The values of a union made only of `const` branches (Discord's enums), else None."""
        hit = const_unions.get(id(branches))
        if hit is None:
            simple = all(
                isinstance(b, dict) and "const" in b and b.keys() <= annotations for b in branches
            )
            hit = const_unions[id(branches)] = (
                branches,
                [b["const"] for b in branches] if simple else None,
            )
        return hit[1]

    def one_of(validator: Any, branches: Any, instance: Any, schema: Any) -> Iterator[Any]:
        values_ = consts(branches)
        if values_ is not None and _plain(instance):
            if sum(1 for v in values_ if _plain(v) and _same(v, instance)) == 1:
                return
        kept = candidates(branches, instance)
        errors: list[ValidationError] = []
        for index, sub in enumerate(kept):
            found = list(validator.descend(instance, sub, schema_path=index))
            if not found:
                others = [
                    s for s in kept[index + 1 :] if validator.evolve(schema=s).is_valid(instance)
                ]
                if others:
                    yield ValidationError(f"{instance!r} is valid under more than one schema")
                return
            errors.extend(found)
        yield ValidationError(
            f"{instance!r} is not valid under any of the given schemas", context=errors
        )

    def any_of(validator: Any, branches: Any, instance: Any, schema: Any) -> Iterator[Any]:
        errors: list[ValidationError] = []
        for index, sub in enumerate(candidates(branches, instance)):
            found = list(validator.descend(instance, sub, schema_path=index))
            if not found:
                return
            errors.extend(found)
        yield ValidationError(
            f"{instance!r} is not valid under any of the given schemas", context=errors
        )

    targets: dict[str, Any] = {}
    resolver = registry.resolver()

    def ref(validator: Any, reference: str, instance: Any, schema: Any) -> Iterator[Any]:
        # The document has no $id, $anchor or $dynamicRef: every $ref is a pointer into the
        # one registered resource, so each resolves (through `referencing`) to the same
        # subschema every time and can be looked up once.
        target = targets.get(reference)
        if target is None:
            absolute = reference if reference.startswith(SPEC_URI) else SPEC_URI + reference
            target = targets[reference] = resolver.lookup(absolute).contents
        yield from validator.descend(instance, target)

    return validators.extend(Draft202012Validator, {"oneOf": one_of, "anyOf": any_of, "$ref": ref})


def follow_documentation(document: dict[str, Any]) -> dict[str, Any]:
    """Relax a copy of the spec for request bodies where Discord accepts more; returns it.

    A snowflake in a request body may be a JSON integer: Discord's reference says IDs are
    stored as integers and only *returned* as strings, and it accepts integers (discord.py
    sends `recipient_id` and attachment ids, the `n` of `files[n]`, as integers; Discord's
    "Uploading Files" example sends `"id": 0`). Answers must still carry strings, so the
    strict document validates the simulator's answers.
    """
    schemas = document["components"]["schemas"]
    strict = schemas["SnowflakeType"]
    schemas["SnowflakeType"] = {"anyOf": [strict, {"type": "integer", "minimum": 0}]}
    return document


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def where(error: ValidationError) -> str:
    """The dotted path of the failing value in the body ("" for the body itself)."""
    return ".".join(str(part) for part in error.absolute_path)


class OpenApiSpec:
    """Discord's OpenAPI document with compiled validators per operation."""

    def __init__(self, document: dict[str, Any], request_document: dict[str, Any]) -> None:
        self.document = document
        self.registry = self._registry(document)
        self.request_registry = self._registry(request_document)
        self._templates: dict[tuple[str, int], list[tuple[int, re.Pattern[str], str]]] = {}
        for template in document["paths"]:
            segments = template.strip("/").split("/")
            literal = sum(1 for s in segments if not s.startswith("{"))
            regex = re.compile(
                "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in ["", *segments])
            )
            key = (segments[0], len(segments))
            self._templates.setdefault(key, []).append((literal, regex, template))
        for candidates in self._templates.values():
            candidates.sort(key=lambda c: -c[0])
        self._validators: dict[tuple[str, bool], Draft202012Validator] = {}
        self._valid_requests: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._validator_classes = {
            False: _discriminated(self._resolve, self.registry),
            True: _discriminated(self._resolve, self.request_registry),
        }

    @staticmethod
    def _registry(document: dict[str, Any]) -> Registry[Any]:
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        return Registry().with_resource(SPEC_URI, resource)

    @classmethod
    @functools.cache
    def load(cls) -> OpenApiSpec:
        """The vendored spec, read once per process."""
        text = SPEC_PATH.read_text(encoding="utf-8")
        return cls(json.loads(text), follow_documentation(json.loads(text)))

    def operation(self, method: str, path: str) -> Operation | None:
        """The spec's operation for a request (path after /api/v10), if it has one."""
        segments = path.strip("/").split("/")
        for _, regex, template in self._templates.get((segments[0], len(segments)), []):
            if regex.fullmatch(path.rstrip("/") or "/"):
                item = self.document["paths"][template]
                op = item.get(method.lower())
                if op is None:
                    continue
                pointer = f"/paths/{_escape(template)}/{method.lower()}"
                return Operation(method.upper(), template, op.get("operationId", "?"), pointer)
        return None

    def _validator(self, pointer: str, *, request: bool) -> Draft202012Validator:
        validator = self._validators.get((pointer, request))
        if validator is None:
            registry = self.request_registry if request else self.registry
            kind = self._validator_classes[request]
            validator = kind({"$ref": f"{SPEC_URI}#{pointer}"}, registry=registry)
            self._validators[(pointer, request)] = validator
        return validator

    def request_pointer(self, op: Operation) -> str | None:
        """Where the JSON request body schema of an operation is (None: it takes none)."""
        body = self._node(op.pointer).get("requestBody")
        if body is None:
            return None
        base = f"{op.pointer}/requestBody"
        if "$ref" in body:
            base = body["$ref"].removeprefix("#")
            body = self._resolve(body["$ref"])
        if "application/json" not in body.get("content", {}):
            return None
        return f"{base}/content/application~1json/schema"

    def response_pointer(self, op: Operation, status: int) -> str | None:
        """Where the JSON answer schema for a status is (None: the spec gives none)."""
        responses = self._node(op.pointer).get("responses", {})
        for key in (str(status), f"{status // 100}XX", "default"):
            if key in responses:
                base = f"{op.pointer}/responses/{_escape(key)}"
                node = responses[key]
                if "$ref" in node:
                    base = node["$ref"].removeprefix("#")
                    node = self._resolve(node["$ref"])
                if "application/json" not in node.get("content", {}):
                    return None
                return f"{base}/content/application~1json/schema"
        return None

    def _node(self, pointer: str) -> Any:
        node: Any = self.document
        for raw in pointer.strip("/").split("/"):
            node = node[raw.replace("~1", "/").replace("~0", "~")]
        return node

    def _resolve(self, ref: str) -> Any:
        return self._node(ref.removeprefix("#"))

    def check_request(self, op: Operation, body: Any) -> ValidationError | None:
        """The most relevant violation of the operation's request schema, if any."""
        pointer = self.request_pointer(op)
        if pointer is None:
            return None
        # a bot sends the same bodies again and again (its command list at every start-up):
        # a body once found valid is not validated again
        key = (pointer, json.dumps(body, sort_keys=True))
        if key in self._valid_requests:
            self._valid_requests.move_to_end(key)
            return None
        error = self._check(pointer, body, request=True)
        if error is None:
            self._valid_requests[key] = None
            if len(self._valid_requests) > REQUEST_CACHE_SIZE:
                self._valid_requests.popitem(last=False)
        return error

    def check_response(self, op: Operation, status: int, body: Any) -> ValidationError | None:
        """The most relevant violation of the operation's answer schema, if any."""
        pointer = self.response_pointer(op, status)
        if pointer is None:
            return None
        if status >= 400 and isinstance(body, dict) and "errors" in body:
            body = {k: v for k, v in body.items() if k != "errors"}
        return self._check(pointer, body, request=False)

    def _check(self, pointer: str, body: Any, *, request: bool) -> ValidationError | None:
        validator = self._validator(pointer, request=request)
        if validator.is_valid(body):
            return None
        error = best_match(validator.iter_errors(body))
        # a union's own error says only "not valid under any"; its branch's error says why
        while error is not None and error.context:
            error = best_match(error.context)
        return error
