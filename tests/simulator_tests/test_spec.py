"""Validation of request bodies and answers against Discord's OpenAPI spec."""

from __future__ import annotations

import hashlib
import io
import json
import re

import aiohttp
import discord
import pytest

from tests.conftest import World
from tests.simulator import DiscordSimulator
from tests.simulator.spec import SPEC_PATH, OpenApiSpec
from tests.simulator_tests.conftest import AppClient, SimClient, raw, text_channel

#: sha256 of openapi.json as published in discord/discord-api-spec at 74fda0fa (2026-07-18).
PUBLISHED_SPEC = "8c1d0707ccdf8e380a86dfba04058820a66435c1b69d5ed82e04dd8c0520dd73"


def test_the_vendored_spec_is_the_published_one():
    data = SPEC_PATH.read_bytes()
    assert hashlib.sha256(data).hexdigest() == PUBLISHED_SPEC
    assert (SPEC_PATH.parent / "LICENSE").read_text().startswith("MIT License")
    assert json.loads(data)["openapi"] == "3.1.0"


def test_the_spec_is_loaded_once_and_validators_are_reused():
    spec = OpenApiSpec.load()
    assert OpenApiSpec.load() is spec
    op = spec.operation("POST", "/channels/1/messages")
    assert op is not None and op.operation_id == "create_message"
    assert spec.check_request(op, {"content": "hi"}) is None
    compiled = dict(spec._validators)
    assert spec.check_request(op, {"content": "again"}) is None
    assert spec._validators == compiled


def test_every_simulated_route_has_an_operation_in_the_spec():
    spec = OpenApiSpec.load()
    missing = []
    for method, _, _, _, template in DiscordSimulator()._routes:
        sample = re.sub(r"\{(\w+)\}", lambda m: "@me" if m[1] == "who" else "123", template)
        if spec.operation(method, sample) is None:
            missing.append(f"{method} {template}")
    assert missing == []


def test_literal_templates_win_over_parameters():
    spec = OpenApiSpec.load()
    me = spec.operation("GET", "/users/@me")
    other = spec.operation("GET", "/users/42")
    original = spec.operation("PATCH", "/webhooks/1/token/messages/@original")
    assert me is not None and me.operation_id == "get_my_user"
    assert other is not None and other.operation_id == "get_user"
    assert original is not None and original.template.endswith("/messages/@original")


async def test_a_body_that_breaks_the_spec_is_refused_and_recorded(
    sim: DiscordSimulator, world: World
):
    path = f"/channels/{world.papers.id}/messages"
    status, body, _ = await raw(sim, "POST", path, {"content": "hi", "tts": "yes"})
    assert status == 400 and body["code"] == 50035
    assert body["message"] == "Invalid Form Body"
    assert "tts" in body["errors"] and body["errors"]["tts"]["_errors"]
    assert sim.messages_in(world.papers) == []
    [violation] = sim.spec_violations
    assert violation.kind == "request" and violation.operation == "create_message"
    assert violation.where == "tts" and violation.path == path and violation.status is None
    assert "create_message" in str(violation)


async def test_payload_json_of_a_multipart_body_is_validated(sim: DiscordSimulator, world: World):
    form = aiohttp.FormData(quote_fields=False)
    form.add_field("payload_json", json.dumps({"content": "file", "flags": "loud"}))
    form.add_field("files[0]", io.BytesIO(b"a,b"), filename="a.csv")
    headers = {"Authorization": f"Bot {sim.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{sim.api_base}/channels/{world.papers.id}/messages", data=form, headers=headers
        ) as resp,
    ):
        assert resp.status == 400
        assert (await resp.json())["code"] == 50035
    assert [(v.kind, v.where) for v in sim.spec_violations] == [("request", "flags")]
    assert sim.messages_in(world.papers) == []


async def test_discord_py_sees_a_refused_body_as_invalid_form_body(
    sim: DiscordSimulator, world: World, client: SimClient
):
    channel = text_channel(client, world.papers.id)
    field = {"name": "n", "value": "v", "inline": "yes"}
    with pytest.raises(discord.HTTPException) as info:
        await channel.send(embed=discord.Embed.from_dict({"title": "t", "fields": [field]}))
    assert info.value.status == 400 and info.value.code == 50035
    assert [(v.kind, v.where) for v in sim.spec_violations] == [
        ("request", "embeds.0.fields.0.inline")
    ]
    sim.spec_violations.clear()


async def test_an_interaction_callback_body_is_validated(
    sim: DiscordSimulator, world: World, app_client: AppClient
):
    res = await sim.invoke(world.guild, world.alice, "wait", {"seconds": 2.0}, wait=False)
    path = f"/interactions/{res.interaction_id}/{res.token}/callback"
    status, body, _ = await raw(sim, "POST", path, {"type": 4, "data": {"tts": "loud"}})
    assert status == 400 and body["code"] == 50035
    [violation] = sim.spec_violations
    assert violation.operation == "create_interaction_response"
    sim.spec_violations.clear()
    await res.wait_settled()
    assert res.content == "waited 2.0"


async def test_limits_the_spec_leaves_loose_are_still_checked(
    sim: DiscordSimulator, world: World, client: SimClient
):
    channel = text_channel(client, world.papers.id)
    with pytest.raises(discord.HTTPException) as info:
        await channel.send("x" * 2001)  # the spec allows 4,000; Discord documents 2,000
    assert info.value.code == 50035
    assert sim.spec_violations == []
    assert sim.messages_in(world.papers) == []


async def test_an_answer_that_breaks_the_spec_is_recorded_as_a_simulator_bug(
    sim: DiscordSimulator, world: World
):
    world.alice.global_name = 12345  # type: ignore[assignment]  # a broken world: not a string
    status, body, _ = await raw(sim, "GET", f"/users/{world.alice.id}")
    assert status == 200 and body["global_name"] == 12345
    [violation] = sim.spec_violations
    assert violation.kind == "response" and violation.status == 200
    assert violation.operation == "get_user" and violation.where == "global_name"
    sim.spec_violations.clear()


async def test_error_and_rate_limit_answers_follow_the_spec(sim: DiscordSimulator, world: World):
    sim.route_limits["GET /channels/{channel_id}"] = (1, 5.0)
    assert (await raw(sim, "GET", "/channels/1"))[0] == 404
    assert (await raw(sim, "GET", f"/channels/{world.papers.id}"))[0] == 200
    assert (await raw(sim, "GET", f"/channels/{world.papers.id}"))[0] == 429
    status, _, _ = await raw(sim, "POST", f"/channels/{world.papers.id}/messages", {})
    assert status == 400
    assert sim.spec_violations == []


async def test_validation_can_be_switched_off(world: World):
    async with DiscordSimulator(spec_validation=False) as own:
        guild = own.add_guild("Unchecked")
        path = f"/channels/{guild.general.id}/messages"
        status, _, _ = await raw(own, "POST", path, {"content": "hi", "tts": "yes"})
        assert status == 200
        assert own.spec_violations == []


BUTTON = {"type": 2, "style": 1, "label": "ok", "custom_id": "ok"}
SAMPLES = [
    {"content": "hi"},
    {"content": "hi", "components": [{"type": 1, "components": [BUTTON]}]},
    {"components": [{"type": 1, "components": [{**BUTTON, "type": 99}]}]},
    {"components": [{"type": 1, "components": [{**BUTTON, "type": True}]}]},
    {"components": [{"type": 1, "components": [{**BUTTON, "type": 2.0}]}]},
    {"components": [{"type": 1, "components": [{**BUTTON, "type": "2"}]}]},
    {"components": [{"type": 1, "components": [{**BUTTON, "style": 9}]}]},
    {"components": [{"type": 1, "components": []}]},
    {"components": [{"type": 1}]},
    {"components": [{"components": [BUTTON]}]},
    {"components": [{"type": 10, "content": "v2 text"}], "flags": 1 << 15},
    {"components": [{"type": 17, "components": [{"type": 10, "content": "in a box"}]}]},
    {"embeds": [{"title": "t", "fields": [{"name": "n", "value": "v", "inline": "no"}]}]},
    {"nonce": 12, "enforce_nonce": True},
    {"nonce": True},
    {"allowed_mentions": {"parse": ["users", "nobody"]}},
]


@pytest.mark.parametrize("body", SAMPLES)
def test_the_faster_unions_give_the_same_verdicts_as_plain_jsonschema(body: dict):
    from jsonschema import Draft202012Validator

    spec = OpenApiSpec.load()
    op = spec.operation("POST", "/channels/1/messages")
    assert op is not None
    pointer = spec.request_pointer(op)
    plain = Draft202012Validator(
        {"$ref": f"urn:discord:openapi#{pointer}"}, registry=spec.request_registry
    )
    assert (spec.check_request(op, body) is None) == plain.is_valid(body)
