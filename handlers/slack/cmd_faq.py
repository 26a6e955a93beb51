"""`/crm faq`: the shop's FAQ entries (rules file `[[faq]]`) with how often each answered, how often
that helped, and how often people still asked for a person; in the reader's language."""

from __future__ import annotations

import re
from typing import Final

from slack_bolt.async_app import AsyncApp

from bot.config.rules import FaqEntry
from bot.i18n import Translator
from bot.services.faq import FaqCount, faq_counts
from handlers.slack.blocks.common import Block, clip, context, escape, section
from handlers.slack.crm_command import Crm, CrmCall
from handlers.slack.deps import SlackDeps
from handlers.slack.replies import UsageError

SHOWN: Final = 40
"""Entries listed (two blocks each; Slack takes 50 blocks a message)."""
QUESTIONS_SHOWN: Final = 3
_CJK: Final = re.compile(r"[\u3400-\u9fff]")


def _questions(entry: FaqEntry, language: str) -> str:
    """A few of the entry's questions, those in the reader's script first."""
    chinese = language != "en"
    ordered = sorted(entry.questions, key=lambda q: bool(_CJK.search(q)) != chinese)
    return " · ".join(f"“{escape(clip(q, 60))}”" for q in ordered[:QUESTIONS_SHOWN])


def _line(t: Translator, number: int, count: FaqCount) -> list[Block]:
    entry = count.entry
    name = f"*{number}. {escape(entry.key)}* — " if entry.key else f"*{number}.* "
    answer = clip(entry.answer.for_language(t.language), 120)
    share = f"{count.asked_for_person / count.answered:.0%}" if count.answered else "—"
    return [
        section(f"{name}{_questions(entry, t.language)}\n_{escape(answer)}_"),
        context(
            t.format(
                "slack.faq.counts",
                answered=t.format_decimal(count.answered),
                helped=t.format_decimal(count.helped),
                person=t.format_decimal(count.asked_for_person),
                share=share,
            )
        ),
    ]


async def faq(call: CrmCall) -> None:
    if call.args.strip():
        raise UsageError
    ctx = call.deps.ctx
    counts = await ctx.call(faq_counts, ctx.rules)
    t = call.t
    if not counts:
        await call.reply(t.format("slack.faq.none"))
        return
    header = t.format("slack.faq.header", entries=t.format_decimal(len(counts)))
    blocks: list[Block] = [section(f"*{header}*")]
    for number, count in enumerate(counts[:SHOWN], start=1):
        blocks.extend(_line(t, number, count))
    if len(counts) > SHOWN:
        blocks.append(context(t.format("slack.faq.more", more=t.format_decimal(len(counts) - SHOWN))))
    await call.reply(header, blocks)


def register(app: AsyncApp, deps: SlackDeps, crm: Crm) -> None:
    crm.add("faq", "slack.usage.faq", faq)
