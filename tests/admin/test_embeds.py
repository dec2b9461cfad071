"""/admin status rendering: what an empty, a partly and a very busy server see."""

from __future__ import annotations

from cogs.admin.embeds import status_embeds, status_lines
from cogs.admin.group import StatusSection


def test_a_partly_set_up_server_sees_what_runs_and_what_it_could_start() -> None:
    parts = [
        (StatusSection("Weekly paper club", ["<#1> every Tuesday"]), "`/admin paper schedule`"),
        (StatusSection("Kaggle challenges", [], ["✅ Kaggle is reachable"]), "`/admin kaggle`"),
    ]
    assert status_lines(parts) == [
        "**Weekly paper club**",
        "• <#1> every Tuesday",
        "",
        "**Not set up yet**",
        "• Kaggle challenges: `/admin kaggle`",
    ]


def test_a_busy_server_gets_pages_within_discords_limits() -> None:
    lines = [
        f"<#{n}> every Tuesday at 18:00 (Europe/Berlin)\n  Next post <t:1:R>" for n in range(300)
    ]
    parts = [(StatusSection("Weekly paper club", lines), "hint")]
    pages = status_embeds("Study <@&123456789012345678> **Group**", status_lines(parts))
    assert len(pages) > 1
    assert all(len(page.description or "") <= 4096 for page in pages)
    assert all(len(page) <= 6000 for page in pages)
    shown = "\n".join(page.description or "" for page in pages)
    assert all(f"<#{n}> every" in shown for n in range(300))
    assert pages[0].title == "StudyBot in Study <@\u200b&123456789012345678> \\*\\*Group\\*\\*"
    assert pages[1].footer.text is not None and pages[1].footer.text.startswith(
        f"Page 2 of {len(pages)} · "
    )
