"""In-process Discord simulator (REST + gateway) for end-to-end tests of the real discord.py bot.

Typical fixture::

    sim = DiscordSimulator(token="sim-token")
    await sim.start()
    configure_discord(sim)            # or: with use_simulator(sim): ...
    guild = sim.add_guild("Study Group")
    alice = sim.add_member(guild, "alice")
    bot = make_bot()                  # commands.Bot(..., guild_ready_timeout=0.05)
    await bot.login(sim.token)
    task = asyncio.create_task(bot.connect())
    await sim.wait_for_bot()
    res = await sim.invoke(guild, alice, "paper schedule", {"title": "BERT"})
    assert res.content == "..."
    await bot.close(); await task; await sim.stop()

Notes:
* Re-IDENTIFY after `drop_gateway(resume=False)` costs 5 s in discord.py's default
  `Client.before_identify_hook`; override it in test bots to skip the pause.
* Injected 500/502/504 are retried by discord.py after 1 s, 3 s, ... sleeps; prefer 503.
* Responding to an interaction later than `sim.interaction_deadline` (3 s) gets 404 10062.
* Commands with `default_member_permissions` are hidden from members lacking them:
  `invoke` raises SimValidationError (pass enforce_permissions=False to bypass).
* Behaves like Discord by default: per-route rate limits with X-RateLimit-* headers and the
  50 requests/s global limit (`rate_limits`, `global_rate`, `route_limits`; 429s it produced
  are in `sim.rate_limited`); `nonce` + `enforce_nonce` on message create (`nonce_window`);
  every request body and answer checked against Discord's OpenAPI spec (`sim.spec_violations`).
* `sim.fail(..., when="after", mode="status"|"timeout"|"drop")` strikes after the handler ran;
  `sim.hold(method, pattern, when=...)` holds a request mid-way (e.g. to kill the bot then).
* `DiscordSimulator(latency=(0.1, 0.2))` delays REST both ways and gateway events; the
  3-second interaction window counts from the dispatch (`InteractionResult.acked_after`).
"""

from .config import bot_process_env, configure_discord, use_simulator
from .models import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    ATTACH_FILES,
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    EMBED_LINKS,
    EPHEMERAL,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    MANAGE_ROLES,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FaultRule,
    HeldRequest,
    InteractionResult,
    RequestRecord,
    SimChannel,
    SimGuild,
    SimMember,
    SimMessage,
    SimRole,
    SimUser,
    SimValidationError,
)
from .ratelimits import DEFAULT_GLOBAL_RATE, DEFAULT_ROUTE_LIMITS, RateLimitRecord
from .server import ApiError, DiscordSimulator
from .spec import SpecViolation

__all__ = [
    "ADMINISTRATOR",
    "ALL_PERMISSIONS",
    "ATTACH_FILES",
    "DEFAULT_BOT_PERMISSIONS",
    "DEFAULT_EVERYONE_PERMISSIONS",
    "DEFAULT_GLOBAL_RATE",
    "DEFAULT_ROUTE_LIMITS",
    "EMBED_LINKS",
    "EPHEMERAL",
    "MANAGE_GUILD",
    "MANAGE_MESSAGES",
    "MANAGE_ROLES",
    "SEND_MESSAGES",
    "VIEW_CHANNEL",
    "ApiError",
    "DiscordSimulator",
    "FaultRule",
    "HeldRequest",
    "InteractionResult",
    "RateLimitRecord",
    "RequestRecord",
    "SimChannel",
    "SimGuild",
    "SimMember",
    "SimMessage",
    "SimRole",
    "SimUser",
    "SimValidationError",
    "SpecViolation",
    "bot_process_env",
    "configure_discord",
    "use_simulator",
]
