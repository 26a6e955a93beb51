"""The rest of the customer's commands: /help and the menu, /feedback and free text, /language,
/stop and /subscribe, /mydata and /deleteme, and staff messages and point changes reaching the chat."""

from __future__ import annotations

import json

from bot.context import AppContext
from bot.events import PointsAdjusted
from bot.sandbox.telegram import SandboxServer
from bot.sandbox.telegram.objects import message_json
from bot.services.conversations import open_ticket_of
from bot.services.customers import customer_for_chat, get_customer
from bot.services.loyalty import adjust_points
from bot.services.outbox import record_events
from bot.services.staff import ensure_staff
from bot.services.staff_actions import adjust_points_and_notify, log_staff_interaction
from bot.services.tickets import add_internal_note, reply_to_customer, resolve_ticket
from handlers.telegram.component import TelegramComponent
from tests.e2e.telegram_harness import (  # noqa: F401
    Chat,
    customer_of,
    fixture_tg_bot,
    fixture_tg_ctx,
    fixture_tg_server,
    new_chat,
)

HELP = """Here's what I can do:
/start – link your membership
/points – your points, tier and recent activity
/rewards – rewards you can redeem
/feedback TEXT – send us feedback or a complaint
/language – change the language
/stop – no more surveys or promotions
/subscribe – receive surveys and promotions again
/mydata – download the data we hold about you
/deleteme – delete your data
/help – show this message

You can also just write to us here."""  # no Slack here: nothing promises the team reads it


async def joined(server: SandboxServer, name: str = "Ann", language_code: str = "en") -> Chat:
    chat = new_chat(server.sandbox, name, language_code=language_code)
    await chat.join()
    return chat


async def test_help_lists_every_command_and_the_menu_is_set_per_language(
    tg_server: SandboxServer, tg_bot: TelegramComponent
) -> None:
    ann = new_chat(tg_server.sandbox)
    assert (await ann.say("/help")).text == HELP
    menu = tg_server.sandbox.menu_commands(ann.id)
    assert " ".join(c["command"] for c in menu) == (
        "start points rewards feedback language stop subscribe mydata deleteme help"
    )
    assert menu[1]["description"] == "your points, tier and recent activity"
    li = new_chat(tg_server.sandbox, "李", language_code="zh-hans")
    assert tg_server.sandbox.menu_commands(li.id)[1]["description"] == "查看积分、会员等级和最近记录"


async def test_unknown_commands_and_stickers_get_a_polite_hint(
    tg_server: SandboxServer, tg_bot: TelegramComponent
) -> None:
    ann = await joined(tg_server)
    assert (
        await ann.say("/dance")
    ).text == "Sorry, I don't know that command. Send /help to see what I can do."
    state = tg_server.sandbox.state
    with state.lock:
        sticker = state.add_message(state.chats[ann.id], from_bot=False)
        sticker_json = {"file_id": "s1", "file_unique_id": "u1", "type": "regular", "width": 512}
        sticker_json |= {"height": 512, "is_animated": False, "is_video": False}
        payload = message_json(state, sticker) | {"sticker": sticker_json}
        state.enqueue("message", payload)
    assert (await ann.next()).text == (
        "Sorry, I can only read text messages. Please type your message, or send /help to see what I can do."
    )


async def test_feedback_and_free_text_are_thanked_and_nothing_promises_an_answer_without_staff_alerts(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    ann = await joined(tg_server)
    assert (await ann.say("/feedback")).text == (
        "Please write your feedback after /feedback, or simply send it as a message."
    )
    assert (await ann.say("/feedback Lovely shop,\ngreat coffee!")).text == (
        "Thank you for your kind words — they made our day!"
    )
    # No Slack here: the complaint opens a conversation, but nobody is told to answer it, so the
    # customer is not promised an answer (tests/e2e/test_conversations.py has the staffed side).
    opened = await ann.say("The milk was sour and the staff were rude. Terrible.")
    assert opened.text == "Thank you for your message — we've noted it."
    assert (await ann.say("Hello? Anyone?")).text == "Thank you for your message — we've noted it."
    assert open_ticket_of(tg_ctx.uow(), customer_of(tg_ctx, ann).id or 0) is not None


async def test_language_buttons_switch_the_conversation_and_the_menu(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    ann = await joined(tg_server)
    prompt = await ann.say("/language")
    assert prompt.text == "Choose your language:"
    assert prompt.buttons == [["English", "简体中文", "繁體中文"]]
    await ann.tap("繁體中文")
    done = await tg_server.sandbox.wait_for(
        lambda: m if (m := tg_server.sandbox.bot_messages(ann.id)[-1]).edit_count else None
    )
    assert done.text is not None and "繁體中文" in done.text
    assert customer_of(tg_ctx, ann).language == "zh-Hant"
    assert "點數" in ((await ann.say("/points")).text or "")
    assert tg_server.sandbox.menu_commands(ann.id)[1]["description"] == "查看點數、會員等級和最近紀錄"


async def test_stop_and_subscribe_switch_surveys_and_promotions(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    ann = await joined(tg_server)
    stopped = await ann.say("/stop")
    assert stopped.text is not None and stopped.text.startswith(
        "Done — you won't receive surveys or promotions"
    )
    assert customer_of(tg_ctx, ann).allows_promotions is False
    again = await ann.say("/subscribe")
    assert again.text is not None and again.text.startswith("Welcome back! You'll receive surveys and offers")
    assert customer_of(tg_ctx, ann).allows_promotions is True


async def test_mydata_sends_the_customers_own_data_as_a_json_file(
    tg_server: SandboxServer, tg_bot: TelegramComponent
) -> None:
    ann = await joined(tg_server)
    await ann.say("/feedback Please stock oat milk")
    sent = await ann.say("/mydata")
    assert sent.document is not None and sent.document.filename == "my-data.json"
    assert sent.text == "Here is all the data Tom's Café & Co holds about you."
    data = json.loads(sent.document.data)
    assert set(data) >= {
        "customer",
        "identities",
        "interactions",
        "purchases",
        "points",
        "surveys",
        "tickets",
    }
    assert data["customer"]["customer_id"] == f"tg-{ann.id}"
    assert any(i["text"] == "Please stock oat milk" for i in data["interactions"])


async def test_mydata_holds_no_internal_notes_staff_ids_or_internal_reasons(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    ann = await joined(tg_server)
    await ann.say("The milk was sour and the staff were rude. Terrible.")
    ctx, clock = tg_ctx, tg_ctx.clock
    customer_id = customer_of(ctx, ann).id or 0
    ticket = open_ticket_of(ctx.uow(), customer_id)
    assert ticket is not None and ticket.id is not None
    sam = ensure_staff(ctx.uow(), clock, slack_user_id="USAM42", name="Sam Quill", admin_ids={"USAM42"})
    assert sam.id is not None
    add_internal_note(ctx.uow(), clock, ticket_id=ticket.id, staff_id=sam.id,
                      text="Known complainer, do not refund", source_event_id="slack:Ev9")  # fmt: skip
    log_staff_interaction(ctx.uow(), clock, customer_id=customer_id, staff_id=sam.id, kind="call",
                          text="She sounded drunk on the phone", actor="slack:USAM42")  # fmt: skip
    adjust_points_and_notify(ctx.uow(), clock, ctx.rules, customer_id=customer_id, delta=30,
                             reason="Stop her from posting a review", note="Sorry about the milk",
                             quiet=True, actor="slack:USAM42", actor_is_admin=True,
                             idempotency_key="adj-mydata")  # fmt: skip
    await tg_ctx.call(
        reply_to_customer, clock, customer_id=customer_id, ticket_id=ticket.id, staff_id=sam.id,
        staff_name="Sam Quill", text="We are sorry, a fresh bottle is on us.", source_event_id="slack:Ev10",
    )  # fmt: skip
    await ann.next()
    resolve_ticket(ctx.uow(), clock, ticket_id=ticket.id, actor="slack:USAM42")
    resolved = await ann.next()  # the resolve notice with its CSAT buttons comes first
    assert resolved.text is not None and resolved.text.startswith("Your request #1 has been resolved.")

    sent = await ann.say("/mydata")
    assert sent.document is not None
    text = sent.document.data.decode("utf-8")
    data = json.loads(text)
    for internal in ("Known complainer", "drunk", "review", "USAM42", "Sam Quill", "slack:", '"staff_id"',
                     '"actor"', '"resolved_by"', '"tags"', '"scores"'):  # fmt: skip
        assert internal not in text, internal
    said = [i["text"] for i in data["interactions"]]
    assert "The milk was sour and the staff were rude. Terrible." in said
    assert any("a fresh bottle is on us" in t for t in said)  # what the team told her is hers
    assert "call" in [i["kind"] for i in data["interactions"]]  # the call happened; staff's words stay
    assert [(e["kind"], e["delta"], e["reason"]) for e in data["points"]["ledger"]] == [("adjust", 30, "")]
    assert data["tickets"][0]["status"] == "resolved" and "resolved_by" not in data["tickets"][0]


async def test_deleteme_erases_only_after_the_confirmation_tap(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    ann = await joined(tg_server)
    customer_id = customer_of(tg_ctx, ann).id or 0
    ask = await ann.say("/deleteme")
    assert ask.buttons == [["Yes, delete my data", "Cancel"]]
    await ann.tap("Cancel", message_id=ask.message_id)
    assert get_customer(tg_ctx.uow(), customer_id).erased_at is None
    ask = await ann.say("/deleteme")
    await ann.tap("Yes, delete my data", message_id=ask.message_id)
    done = await tg_server.sandbox.wait_for(
        lambda: m if (m := tg_server.sandbox.bot_messages(ann.id)[-1]).edit_count else None
    )
    assert done.text is not None and done.text.startswith("Your data has been deleted.")
    assert get_customer(tg_ctx.uow(), customer_id).erased_at is not None
    assert customer_for_chat(tg_ctx.uow(), "telegram", str(ann.id)) is None
    assert (
        await ann.say("/points")
    ).text == "I don't know who you are yet. Send /start to link your membership."


async def test_a_staff_reply_and_a_points_adjustment_reach_the_customer_in_their_language(
    tg_server: SandboxServer, tg_bot: TelegramComponent, tg_ctx: AppContext
) -> None:
    ann = await joined(tg_server)
    li = await joined(tg_server, "李", "zh-cn")
    sam = ensure_staff(tg_ctx.uow(), tg_ctx.clock, slack_user_id="U1", name="Sam", admin_ids={"U1"})
    await tg_ctx.call(
        reply_to_customer,
        tg_ctx.clock,
        customer_id=customer_of(tg_ctx, ann).id or 0,
        ticket_id=None,
        staff_id=sam.id or 0,
        staff_name="Sam",
        text="Sorry about that <b>mix-up</b> & thanks!",
        source_event_id="slack:Ev1",
    )
    reply = await ann.next()
    assert reply.text == "Message from the Tom's Café & Co team:\nSorry about that <b>mix-up</b> & thanks!"
    assert reply.entity_texts("bold") == ["Message from the Tom's Café & Co team:"]
    li_id = customer_of(tg_ctx, li).id or 0
    uow = tg_ctx.uow()
    adjust_points(uow, tg_ctx.clock, tg_ctx.rules, customer_id=li_id, delta=50, reason="late order",
                  actor="slack:U1", actor_is_admin=True, idempotency_key="adj-1")  # fmt: skip
    await tg_ctx.call(record_events, [PointsAdjusted(customer_id=li_id, delta=50, note="补偿")])
    assert (await li.next()).text == "店员已为您调整积分：+50。说明：补偿"
