// The team's Slack: one channel, its threads, ephemerals, modals and the app's Home tab, from the Slack sandbox.
import { el, notice, rerender, slack, slackFile, watch } from "./api.js";
import { formValues, mrkdwn, renderBlocks } from "./blocks.js";

const $ = (id) => document.getElementById(id);
const view = { user: null, channel: null, thread: null, home: false, names: {}, botUser: null, modalId: null };

function time(ts) {
  return new Date(parseFloat(ts) * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

async function act(request, what) {
  try {
    const ack = await request;
    const failed = ack && (ack.error || (ack.status && ack.status !== 200));
    if (failed) notice(`Slack: ${what} failed with the error "${ack.error || "dispatch_failed"}"`, "warn");
    return ack;
  } catch (error) {
    notice(`Slack: ${error.message}`, "warn");
    return null;
  }
}

function press(where) {
  return (action) => act(slack("actions", { user: view.user, ...where, ...action }), "the button");
}

function files(message) {
  return (message.files || []).map((f) => {
    const url = slackFile(f.id);
    const image = (f.mimetype || "").startsWith("image/");
    return el("a", { class: "sl-file", href: url, target: "_blank", download: image ? null : f.name },
      image ? el("figure", { class: "sl-image" }, el("figcaption", {}, f.title || f.name), el("img", { src: url, alt: f.title || f.name }))
        : el("span", { class: "sl-doc" }, el("b", {}, f.title || f.name), ` · ${f.pretty_type || ""} ${Math.ceil((f.size || 0) / 1024)} KB`));
  });
}

function messageNode(message, { ephemeral = false, inThread = false } = {}) {
  const isApp = ephemeral || Boolean(message.bot_id) || message.user === view.botUser;
  const author = isApp ? "retention-bot" : view.names[message.user] || message.user;
  const where = { channel: view.channel, ts: message.ts };
  const body = message.blocks && message.blocks.length
    ? renderBlocks(message.blocks, { names: view.names, press: press(where) })
    : [el("div", { html: mrkdwn(message.text, view.names) })];
  const replies = !inThread && message.reply_count
    ? el("button", { type: "button", class: "sl-replies", onclick: () => openThread(message.ts) },
        `${message.reply_count} ${message.reply_count === 1 ? "reply" : "replies"}`)
    : null;
  const threadLink = !inThread && !ephemeral
    ? el("button", { type: "button", class: "sl-hover", title: "Reply in thread", onclick: () => openThread(message.ts) }, "Reply in thread")
    : null;
  return el("div", { class: `sl-msg${ephemeral ? " ephemeral" : ""}`, "data-ts": message.ts },
    el("div", { class: `sl-avatar${isApp ? " app" : ""}` }, author.slice(0, 1).toUpperCase()),
    el("div", { class: "sl-msg-body" },
      el("div", { class: "sl-msg-head" }, el("b", {}, author), isApp ? el("span", { class: "sl-app" }, "APP") : null,
        el("span", { class: "muted small" }, time(message.ts), message.edited ? " (edited)" : "")),
      ephemeral ? el("div", { class: "muted small" }, "Only visible to you") : null,
      body, files(message), replies),
    threadLink);
}

let replyWaiters = []; // commands from the control strip waiting for the app's first answer

async function refreshChannel() {
  const [{ messages }, { messages: ephemerals }] = await Promise.all([
    slack(`channels/${view.channel}/messages`),
    slack(`ephemerals?user=${view.user}&channel=${view.channel}`),
  ]);
  replyWaiters = replyWaiters.filter((waiter) => {
    const fresh = ephemerals.find((m) => !waiter.seen.has(m.ts));
    if (fresh) waiter.resolve(JSON.stringify(fresh)); // its text and blocks
    return !fresh;
  });
  const all = [...messages.map((m) => ({ m, e: false })), ...ephemerals.filter((m) => !m.thread_ts).map((m) => ({ m, e: true }))];
  all.sort((a, b) => parseFloat(a.m.ts) - parseFloat(b.m.ts));
  rerender($("sl-messages"), () => all.map(({ m, e }) => messageNode(m, { ephemeral: e })));
}

async function refreshThread() {
  if (!view.thread) return;
  const { messages } = await slack(`channels/${view.channel}/messages?thread_ts=${view.thread}`);
  const nodes = messages.map((m) => messageNode(m, { inThread: true }));
  const divider = el("div", { class: "sl-thread-divider" }, `${messages.length - 1} ${messages.length === 2 ? "reply" : "replies"}`);
  rerender($("sl-thread-messages"), () => [nodes[0], divider, ...nodes.slice(1)].filter(Boolean));
}

async function refreshHome() {
  if (!view.home) return;
  const { view: home } = await slack(`home/${view.user}`);
  const blocks = home ? home.blocks : [{ type: "section", text: { type: "mrkdwn", text: "_The app has not published a Home tab for you._" } }];
  $("sl-home").replaceChildren(...renderBlocks(blocks, { names: view.names, press: press({ view_id: home && home.id }) }));
}

async function refreshModal() {
  const { views } = await slack(`modals/${view.user}`);
  const top = views[views.length - 1];
  $("sl-modal").classList.toggle("hidden", !top);
  if (!top) { view.modalId = null; return; }
  const signature = `${top.id}/${top.hash}/${JSON.stringify(top.errors)}`;
  if (view.modalId === signature) return; // keep what the person is typing
  view.modalId = signature;
  $("sl-modal-title").textContent = top.title ? top.title.text : "";
  $("sl-modal-submit").textContent = top.submit ? top.submit.text : "Submit";
  $("sl-modal-submit").classList.toggle("hidden", !top.submit);
  $("sl-modal-close").textContent = top.close ? top.close.text : "Cancel";
  $("sl-modal-form").dataset.viewId = top.id;
  $("sl-modal-body").replaceChildren(...renderBlocks(top.blocks, { names: view.names, errors: top.errors, press: press({ view_id: top.id }) }));
  const first = $("sl-modal-body").querySelector("input, textarea, select");
  if (first) first.focus();
}

export async function refresh() {
  await Promise.all([refreshChannel(), refreshThread(), refreshHome(), refreshModal()]);
}

function openThread(ts) {
  view.thread = ts;
  $("sl-thread").classList.remove("hidden");
  refreshThread();
  $("sl-thread-input").focus();
}

async function send(text, threadTs) {
  if (!text.trim()) return;
  if (text.startsWith("/") && !threadTs) {
    const [command, ...rest] = text.split(" ");
    await act(slack("commands", { command, text: rest.join(" "), user: view.user, channel: view.channel }), command);
  } else {
    await act(slack("messages", { text, user: view.user, channel: view.channel, thread_ts: threadTs || undefined }), "sending");
  }
}

/** Type a slash command as the current staff member; resolves with the app's first ephemeral answer
 * (or null after 15 s), so the control strip can tell a subcommand that is not built yet. */
export async function command(text) {
  const { messages } = await slack(`ephemerals?user=${view.user}&channel=${view.channel}`);
  const answered = new Promise((resolve) => {
    replyWaiters.push({ seen: new Set(messages.map((m) => m.ts)), resolve });
    setTimeout(() => resolve(null), 15000);
  });
  await send(text, null);
  return answered;
}
export const currentStaff = () => view.user;

export function showStaff(userId) {
  view.user = userId;
  view.modalId = null;
  return refresh();
}

function showHome(on) {
  view.home = on;
  $("sl-home").classList.toggle("hidden", !on);
  $("sl-messages").classList.toggle("hidden", on);
  $("sl-form").classList.toggle("hidden", on);
  $("sl-home-link").classList.toggle("active", on);
  $("sl-channel-link").classList.toggle("active", !on);
  $("sl-header").textContent = on ? "retention-bot · Home" : `# ${view.channelName}`;
  if (on) act(slack("app_home", { user: view.user }), "opening Home").then(refreshHome);
}

export async function setUp(state, onTrouble) {
  const workspace = await slack("workspace");
  for (const user of workspace.users) view.names[user.id] = user.profile.display_name || user.real_name || user.name;
  view.botUser = state.slack.bot_user_id;
  view.channel = state.slack.channel.id;
  view.channelName = state.slack.channel.name;
  $("sl-team").textContent = state.slack.team;
  $("sl-channel-link").textContent = `# ${view.channelName}`;
  $("sl-header").textContent = `# ${view.channelName}`;
  $("sl-input").placeholder = `Message #${view.channelName} (try /crm help)`;
  $("sl-channel-link").addEventListener("click", () => showHome(false));
  $("sl-home-link").addEventListener("click", () => showHome(true));
  $("sl-thread-close").addEventListener("click", () => { view.thread = null; $("sl-thread").classList.add("hidden"); });
  for (const [formId, inputId, thread] of [["sl-form", "sl-input", false], ["sl-thread-form", "sl-thread-input", true]]) {
    $(formId).addEventListener("submit", (event) => {
      event.preventDefault();
      send($(inputId).value, thread ? view.thread : null);
      $(inputId).value = "";
    });
  }
  $("sl-modal-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const viewId = event.target.dataset.viewId;
    act(slack(`views/${viewId}/submit`, { values: formValues(event.target) }), "submitting");
  });
  $("sl-modal-close").addEventListener("click", () => act(slack(`views/${$("sl-modal-form").dataset.viewId}/close`, {}), "closing"));
  watch((since) => slack(`changes?since=${since}&timeout=25`), refresh, onTrouble);
}
