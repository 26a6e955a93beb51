// Talking to the demo server: the two sandboxes' driver APIs (relayed) and the demo's own state.

async function call(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

/** The Telegram sandbox's driver: GET without a body, POST with one. */
export const telegram = (path, body) =>
  call(body === undefined ? "GET" : "POST", `/playground/telegram/${path}`, body);

/** The Slack sandbox's driver. */
export const slack = (path, body) =>
  call(body === undefined ? "GET" : "POST", `/playground/slack/${path}`, body);

export const demo = (path, body) =>
  call(body === undefined ? "GET" : "POST", `/playground/api/${path}`, body);

export const telegramFile = (fileId) => `/playground/telegram/files/${encodeURIComponent(fileId)}`;
export const slackFile = (fileId) => `/playground/slack/files/${encodeURIComponent(fileId)}`;

/** Call `onChange` whenever a long-poll endpoint reports a newer version; never returns. */
export async function watch(poll, onChange, onTrouble) {
  let since = -1;
  for (;;) {
    try {
      const { version } = await poll(since);
      if (version !== since) {
        since = version;
        await onChange();
      }
      onTrouble(null);
    } catch (error) {
      onTrouble(error);
      await new Promise((resolve) => setTimeout(resolve, 2000)); // the demo restarting, or stopped
    }
  }
}

let noticeTimer = null;
/** A one-line notice in the control strip (kind: "info" | "warn" | "error"). */
export function notice(text, kind = "info") {
  const box = document.getElementById("notice");
  box.textContent = text;
  box.className = `notice ${kind}`;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.textContent = ""; box.className = "notice"; }, 12000);
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "html") node.innerHTML = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function escapeHtml(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Keep a scrolled list pinned to the bottom if it was there before a re-render. */
export function rerender(container, build) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  container.replaceChildren(...build());
  if (atBottom) container.scrollTop = container.scrollHeight;
}
