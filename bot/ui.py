"""Shared UI pieces: a base view on the one error path, a paginator and a confirm view."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.errors import report_error

log = logging.getLogger(__name__)

OWNER_ONLY = "Only the member who ran this command can use these buttons; run it yourself."


class StudyView(discord.ui.View):
    """A view whose errors go through the bot's one error path."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any]
    ) -> None:
        """Report a component error like a command error."""
        await report_error(interaction, error)


class OwnedView(StudyView):
    """A view only the member who opened it may press."""

    def __init__(self, owner_id: int, *, timeout: float | None = 600) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id
        self.message: discord.InteractionMessage | discord.Message | None = None

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        """Refuse other members with a private note."""
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(OWNER_ONLY, ephemeral=True)
            return False
        return True

    async def on_timeout(self) -> None:
        """Grey the buttons out when the view expires."""
        for item in self.children:
            if isinstance(item, discord.ui.Button | discord.ui.Select):
                item.disabled = True
        if self.message is not None:
            try:
                await self.message.edit(view=self)
            except discord.HTTPException:
                pass
            except RuntimeError:
                # The bot closed before the view expired: its HTTP session is gone, and with
                # it any way to grey the buttons out.
                log.debug("view expired after the bot closed", exc_info=True)


PageSource = Callable[[int], Awaitable[discord.Embed]]


class Paginator(OwnedView):
    """◀ ▶ buttons over a fixed number of pages, rendered on demand."""

    def __init__(
        self, owner_id: int, page_count: int, render: PageSource, *, start: int = 0
    ) -> None:
        super().__init__(owner_id)
        self.page_count = max(1, page_count)
        self.page = min(max(0, start), self.page_count - 1)
        self.render = render
        self._sync_buttons()

    @classmethod
    def of_embeds(cls, owner_id: int, embeds: Sequence[discord.Embed]) -> Paginator:
        """A paginator over embeds that already exist."""
        pages = list(embeds)

        async def render(page: int) -> discord.Embed:
            return pages[page]

        return cls(owner_id, len(pages), render)

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.page <= 0
        self.next.disabled = self.page >= self.page_count - 1

    async def first_page(self) -> discord.Embed:
        """The embed to send with the view."""
        return await self.render(self.page)

    async def _turn(self, interaction: discord.Interaction[Any], step: int) -> None:
        self.page = min(max(0, self.page + step), self.page_count - 1)
        self._sync_buttons()
        embed = await self.render(self.page)
        await interaction.response.edit_message(embed=embed, view=self)

    @discord.ui.button(label="◀", style=discord.ButtonStyle.secondary)
    async def previous(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """Show the previous page."""
        await self._turn(interaction, -1)

    @discord.ui.button(label="▶", style=discord.ButtonStyle.secondary)
    async def next(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """Show the next page."""
        await self._turn(interaction, 1)

    @property
    def needed(self) -> bool:
        """Whether there is more than one page (no buttons otherwise)."""
        return self.page_count > 1


class ConfirmView(OwnedView):
    """A confirm / cancel pair that runs an action once, only for its owner.

    Confirming acknowledges the press at once (a deferred update: Discord shows the button
    working) and only then runs the action, which may take longer than Discord's 3-second
    window; the prompt is then edited to say what the action did.
    """

    def __init__(
        self,
        owner_id: int,
        action: Callable[[discord.Interaction[Any]], Awaitable[str]],
        *,
        confirm_label: str = "Confirm",
        cancelled: str = "Cancelled: nothing was changed.",
        timeout: float = 120,
    ) -> None:
        super().__init__(owner_id, timeout=timeout)
        self.action = action
        self.cancelled_text = cancelled
        self.confirm.label = confirm_label
        self.done = False

    def _finish(self) -> None:
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        self.stop()

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """Acknowledge, run the action and say what it did."""
        if self.done:
            # Pressed again while the action runs: acknowledge, do nothing twice.
            await interaction.response.defer()
            return
        self.done = True
        await interaction.response.defer()
        try:
            result = await self.action(interaction)
        except Exception:
            # Grey the buttons out; the one error path then follows up with what went wrong.
            self._finish()
            await interaction.edit_original_response(view=self)
            raise
        self._finish()
        await interaction.edit_original_response(content=result, embed=None, view=self)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        """Leave everything as it is (too late once the action has started)."""
        if self.done:
            await interaction.response.defer()
            return
        self.done = True
        self._finish()
        await interaction.response.edit_message(content=self.cancelled_text, view=self)
