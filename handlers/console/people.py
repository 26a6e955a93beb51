"""The two roles' hands: what a customer does in Telegram and a staff member in Slack (sandbox drivers).

Each method is one gesture a person makes on the platform; the bot's answers are picked up by
the Watcher, like the page does, so the console shows what the platforms hold.
"""

from __future__ import annotations

from typing import Any

from bot.demo.cast import Cast, DemoCustomer, DemoStaff
from bot.sandbox.slack import AppResponse, SlackSandbox
from bot.sandbox.telegram import TelegramSandbox
from handlers.console.commands import UsageError
from handlers.console.render import Button, Shown

JSON = dict[str, Any]


def pick(shown: list[Shown], wanted: str) -> Button:
    """A button on what the person sees now (older drawings of an edited message do not count).

    The newest surface first: its button labelled `wanted`, else its button number `wanted`
    (numbers label the choices unless the labels are numbers themselves, like NPS 0–10); then
    older surfaces by label; then any label containing `wanted` ("Share my phone number").
    """
    latest: dict[object, Shown] = {}
    for item in shown:
        latest.pop(item.key or id(item), None)
        latest[item.key or id(item)] = item
    live = [s for s in reversed(latest.values()) if s.buttons]
    if not live:
        raise UsageError("there is no button to press")
    want = wanted.strip().lower()
    newest = live[0].buttons
    numbered = not all(b.label.strip().isdigit() for b in newest)
    candidates = [
        *(b for b in newest if b.label.strip().lower() == want),
        *([newest[int(want) - 1]] if numbered and want.isdigit() and 1 <= int(want) <= len(newest) else []),
        *(b for s in live[1:] for b in s.buttons if b.label.strip().lower() == want),
        *(b for s in live for b in s.buttons if want in b.label.lower()),
    ]
    if not candidates:
        raise UsageError(f"no button {wanted!r}; the latest ones are: {', '.join(b.label for b in newest)}")
    return candidates[0]


class Customer:
    def __init__(self, telegram: TelegramSandbox) -> None:
        self.telegram = telegram

    def say(self, person: DemoCustomer, text: str) -> None:
        self.telegram.push_text(person.telegram_id, text)

    def share_phone(self, person: DemoCustomer) -> None:
        """Press the keyboard's "share my phone number" button if shown, else share from the attach menu."""
        keyboard = self.telegram.reply_keyboard(person.telegram_id) or {}
        for row in keyboard.get("keyboard", []):
            for button in row:
                if button.get("request_contact"):
                    self.telegram.press_reply_button(person.telegram_id, button["text"])
                    return
        self.telegram.push_contact(person.telegram_id)

    def press(self, button: Button) -> str | None:
        """Tap an inline button (returns the callback query id) or press a reply-keyboard button."""
        target = button.target
        if button.kind == "tg_callback":
            return self.telegram.tap_button(target["chat_id"], target["message_id"], data=target["data"])
        self.telegram.press_reply_button(target["chat_id"], target["text"])
        return None

    def toast(self, query_id: str) -> str | None:
        answer = self.telegram.callback_answer(query_id)
        return str(answer["text"]) if answer and answer.get("text") else None


class Staff:
    def __init__(self, slack: SlackSandbox, cast: Cast) -> None:
        self.driver = slack.driver
        self.cast = cast

    async def type(self, person: DemoStaff, text: str, thread_ts: str | None = None) -> AppResponse | None:
        """A slash command (`/crm …`) or a message in the team channel (or a thread of it)."""
        channel = self.cast.channel_id
        if text.startswith("/") and thread_ts is None:
            command, _, rest = text.partition(" ")
            return await self.driver.send_slash_command(command, rest, user=person.slack_id, channel=channel)
        _, response = await self.driver.post_user_message(
            text, user=person.slack_id, channel=channel, thread_ts=thread_ts
        )
        return response

    def latest_alert_ts(self) -> str:
        """The newest top-level message of the app with buttons in the team channel (an alert)."""
        bot_id = self.driver.state.ws.bot_id
        for message in reversed(self.driver.messages(self.cast.channel_id)):
            has_buttons = any(b.get("type") == "actions" for b in message.get("blocks") or [])
            if message.get("bot_id") == bot_id and has_buttons:
                return str(message["ts"])
        raise UsageError("no alert in the channel yet to reply in")

    async def press(self, person: DemoStaff, button: Button) -> AppResponse:
        t = button.target
        return await self.driver.press_button(
            str(t["action_id"]),
            user=person.slack_id,
            channel=t.get("channel"),
            ts=t.get("ts"),
            view_id=t.get("view_id"),
            block_id=t.get("block_id"),
        )

    async def submit(self, person: DemoStaff, values: dict[str, str] | str) -> AppResponse:
        view = self.driver.top_modal(person.slack_id)
        if view is None:
            raise UsageError("no modal is open")
        inputs = [b for b in view.get("blocks", []) if b.get("type") == "input"]
        if not inputs:
            raise UsageError("the modal has no fields to fill")
        filled: dict[str, dict[str, Any]] = {}
        if isinstance(values, str):
            text_inputs = [b for b in inputs if "text_input" in str(b["element"].get("type"))]
            first = (text_inputs or inputs)[0]
            filled[first["block_id"]] = {first["element"]["action_id"]: _value(first["element"], values)}
        else:
            for label, value in values.items():
                block = _field(inputs, label)
                filled[block["block_id"]] = {block["element"]["action_id"]: _value(block["element"], value)}
        return await self.driver.submit_view(str(view["id"]), filled)

    async def cancel(self, person: DemoStaff) -> AppResponse | None:
        view = self.driver.top_modal(person.slack_id)
        if view is None:
            raise UsageError("no modal is open")
        return await self.driver.close_view(str(view["id"]))

    async def open_home(self, person: DemoStaff) -> tuple[AppResponse, JSON | None]:
        response = await self.driver.open_app_home(person.slack_id)
        return response, self.driver.home_view(person.slack_id)


def _field(inputs: list[JSON], label: str) -> JSON:
    wanted = label.strip().lower()
    for block in inputs:
        text = str(block.get("label", {}).get("text", "")).lower()
        if text.startswith(wanted) or block.get("block_id", "").lower() == wanted:
            return block
    offered = ", ".join(str(b.get("label", {}).get("text", "")) for b in inputs)
    raise UsageError(f"the modal has no field {label!r}; it has: {offered}")


def _value(element: JSON, value: str) -> Any:
    """Options are chosen by their shown text or value; multi-selects take `a, b`."""
    options = element.get("options") or [o for g in element.get("option_groups", []) for o in g["options"]]
    if not options:
        return value

    def one(wanted: str) -> str:
        for option in options:
            if wanted.strip().lower() in (str(option["value"]).lower(), option["text"]["text"].lower()):
                return str(option["value"])
        raise UsageError(f"no option {wanted!r}; options: {', '.join(o['text']['text'] for o in options)}")

    if str(element.get("type", "")).startswith("multi") or element.get("type") == "checkboxes":
        return [one(v) for v in value.split(",")]
    return one(value)
