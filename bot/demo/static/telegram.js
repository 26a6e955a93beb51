// The phone: a Telegram private chat with the bot, drawn from the Telegram sandbox's transcript.
import { el, notice, rerender, telegram, telegramFile, watch } from "./api.js";

const $ = (id) => document.getElementById(id);
let chatId = null;
let pendingTaps = []; // callback query ids whose answer (a toast) we still want to show

/** Telegram entities → HTML. Offsets are UTF-16 code units, which is what JS strings index. */
export function entitiesToHtml(text, entities) {
  const cuts = new Set([0, text.length]);
  for (const e of entities || []) { cuts.add(e.offset); cuts.add(e.offset + e.length); }
  const points = [...cuts].filter((p) => p >= 0 && p <= text.length).sort((a, b) => a - b);
  const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  let html = "";
  for (let i = 0; i < points.length - 1; i++) {
    const [start, end] = [points[i], points[i + 1]];
    let piece = esc(text.slice(start, end));
    for (const e of entities || []) {
      if (e.offset > start || e.offset + e.length < end) continue;
      piece = wrap(piece, e, text.slice(e.offset, e.offset + e.length));
    }
    html += piece;
  }
  return html.replace(/\n/g, "<br>");
}

function wrap(inner, entity, covered) {
  const safeUrl = (u) => (/^(https?:|tg:|mailto:)/i.test(u) ? u.replace(/"/g, "%22") : "#");
  switch (entity.type) {
    case "bold": return `<b>${inner}</b>`;
    case "italic": return `<i>${inner}</i>`;
    case "underline": return `<u>${inner}</u>`;
    case "strikethrough": return `<s>${inner}</s>`;
    case "spoiler": return `<span class="spoiler">${inner}</span>`;
    case "code": return `<code>${inner}</code>`;
    case "pre": return `<pre>${inner}</pre>`;
    case "blockquote": case "expandable_blockquote": return `<span class="quote">${inner}</span>`;
    case "text_link": return `<a href="${safeUrl(entity.url)}" target="_blank" rel="noopener">${inner}</a>`;
    case "url": return `<a href="${safeUrl(covered.startsWith("http") ? covered : "https://" + covered)}" target="_blank" rel="noopener">${inner}</a>`;
    case "bot_command": return `<span class="cmd">${inner}</span>`;
    default: return inner;
  }
}

function time(unix) {
  return new Date(unix * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function media(message) {
  const parts = [];
  if (message.photo) {
    const url = telegramFile(message.photo.file_id);
    parts.push(el("a", { href: url, target: "_blank" }, el("img", { class: "tg-photo", src: url, alt: "photo" })));
  }
  if (message.document) {
    const d = message.document;
    parts.push(el("a", { class: "tg-doc", href: telegramFile(d.file_id), download: d.filename || "file" },
      el("span", { class: "tg-doc-icon" }, "↓"),
      el("span", {}, el("b", {}, d.filename || "file"), el("br"), `${(d.size / 1024).toFixed(1)} KB`)));
  }
  if (message.contact) {
    parts.push(el("div", { class: "tg-contact" }, el("span", { class: "tg-doc-icon" }, "☎"),
      el("span", {}, el("b", {}, message.contact.first_name || ""), el("br"), message.contact.phone_number)));
  }
  return parts;
}

function inlineKeyboard(message) {
  const rows = (message.reply_markup && message.reply_markup.inline_keyboard) || [];
  return rows.map((row) => el("div", { class: "tg-inline-row" }, row.map((button) => {
    if (button.url) return el("a", { class: "tg-inline", href: button.url, target: "_blank", rel: "noopener" }, button.text, " ↗");
    return el("button", {
      type: "button", class: "tg-inline",
      onclick: () => tap(message.message_id, button.callback_data),
    }, button.text);
  })));
}

function bubble(message) {
  const side = message.from_bot ? "bot" : "me";
  const body = message.text ? el("div", { class: "tg-text", html: entitiesToHtml(message.text, message.entities) }) : null;
  const meta = el("span", { class: "tg-meta" }, message.edit_count ? "edited " : "", time(message.date));
  return el("div", { class: `tg-row ${side}` },
    el("div", { class: `tg-msg ${side}`, "data-message-id": message.message_id }, media(message), body, meta),
    message.from_bot ? el("div", { class: "tg-inline-keyboard" }, inlineKeyboard(message)) : null);
}

function replyKeyboard(markup) {
  const box = $("tg-keyboard");
  const rows = (markup && markup.keyboard) || [];
  box.classList.toggle("hidden", rows.length === 0);
  box.replaceChildren(...rows.map((row) => el("div", { class: "tg-keyboard-row" }, row.map((button) =>
    el("button", {
      type: "button", class: "tg-key",
      // the sandbox does what the app does: request_contact shares the phone, one_time hides the keyboard
      onclick: () => act(telegram(`chats/${chatId}/reply-button`, { text: button.text })),
    }, button.text)))));
}

function commandMenu(commands) {
  const box = $("tg-commands");
  box.replaceChildren(...(commands || []).map((c) =>
    el("button", { type: "button", class: "tg-command", onclick: () => { box.classList.add("hidden"); send(`/${c.command}`); } },
      el("b", {}, `/${c.command}`), " ", el("span", { class: "muted" }, c.description))));
  $("tg-menu").disabled = !(commands || []).length;
}

async function act(request) {
  try { return await request; } catch (error) { notice(`Telegram: ${error.message}`, "warn"); return null; }
}

async function tap(messageId, data) {
  const answer = await act(telegram(`chats/${chatId}/callback`, { message_id: messageId, data }));
  if (answer) pendingTaps.push({ id: answer.callback_query_id, until: Date.now() + 15000 });
}

async function send(text) {
  if (!text.trim() || chatId === null) return;
  await act(telegram(`chats/${chatId}/messages`, { text }));
}

async function showToasts() {
  const still = [];
  for (const tapped of pendingTaps) {
    const { answer } = await telegram(`callbacks/${tapped.id}`).catch(() => ({ answer: null }));
    if (answer) { if (answer.text) notice(answer.text, answer.show_alert ? "warn" : "info"); }
    else if (Date.now() < tapped.until) still.push(tapped);
  }
  pendingTaps = still;
}

export async function refresh() {
  if (chatId === null) return;
  const shown = chatId;
  const chat = await telegram(`chats/${shown}/transcript`);
  if (shown !== chatId) return; // switched customers meanwhile
  const messages = chat.messages.filter((m) => !m.deleted);
  rerender($("tg-messages"), () => messages.map(bubble));
  $("tg-start").classList.toggle("hidden", messages.length > 0);
  $("tg-status").textContent = chat.chat_action === "typing" ? "typing…" : "bot";
  replyKeyboard(chat.reply_keyboard);
  commandMenu(chat.menu_commands);
  await showToasts();
}

export function showCustomer(id) {
  chatId = id;
  pendingTaps = [];
  $("tg-messages").replaceChildren();
  return refresh();
}

export function setUp(state, onTrouble) {
  $("tg-title").textContent = state.telegram.bot.name;
  $("tg-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("tg-input");
    send(input.value);
    input.value = "";
  });
  $("tg-start-button").addEventListener("click", () => send("/start"));
  $("tg-menu").addEventListener("click", () => $("tg-commands").classList.toggle("hidden"));
  watch((since) => telegram(`poll?since=${since}&timeout=25`), refresh, onTrouble);
}
