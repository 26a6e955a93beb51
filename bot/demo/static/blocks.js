// Block Kit and mrkdwn, drawn the way Slack draws them (the parts our app uses, and a fallback for the rest).
import { el, escapeHtml } from "./api.js";

/** mrkdwn → HTML: <@U1> mentions, <#C1|name>, <url|label>, *bold*, _italic_, ~strike~, `code`, ```pre```, > quotes. */
export function mrkdwn(text, names) {
  const decode = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  const parts = String(text || "").split(/(<[^<>]+>)/g);
  let html = parts.map((part) => {
    const link = /^<([^<>|]+)(?:\|([^<>]+))?>$/.exec(part);
    if (!link) return styles(escapeHtml(decode(part)));
    const [, target, label] = link;
    if (target.startsWith("@")) return `<span class="mention">@${escapeHtml(names[target.slice(1)] || label || target.slice(1))}</span>`;
    if (target.startsWith("#")) return `<span class="mention">#${escapeHtml(label || target.slice(1))}</span>`;
    if (target.startsWith("!")) return `<span class="mention">@${escapeHtml(label || target.slice(1).split("^")[0])}</span>`;
    const safe = /^(https?:|mailto:|tel:)/i.test(target) ? escapeHtml(target) : "#";
    return `<a href="${safe}" target="_blank" rel="noopener">${escapeHtml(decode(label || target))}</a>`;
  }).join("");
  html = html.replace(/^&gt; ?(.*)$/gm, '<span class="quote">$1</span>');
  return html.replace(/\n/g, "<br>");
}

/** Slack's emoji shortcodes (the ones our messages use, and common others). */
const EMOJI = {
  rotating_light: "🚨", outbox_tray: "📤", inbox_tray: "📥", speech_balloon: "💬", tada: "🎉", warning: "⚠️",
  white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", bell: "🔔", zzz: "💤", chart_with_upwards_trend: "📈",
  chart_with_downwards_trend: "📉", star: "⭐", memo: "📝", bust_in_silhouette: "👤", calendar: "📅", gift: "🎁",
  birthday: "🎂", hourglass: "⏳", telephone_receiver: "📞", moneybag: "💰", eyes: "👀", wave: "👋", sunrise: "🌅",
};

function styles(html) {
  return html
    .replace(/:([a-z0-9_+-]+):/g, (code, name) => EMOJI[name] || code)
    .replace(/```([\s\S]+?)```/g, "<pre>$1</pre>")
    .replace(/`([^`\n]+)`/g, "<code>$1</code>")
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s.,:;!?)])/gm, "$1<b>$2</b>")
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s.,:;!?)])/gm, "$1<i>$2</i>")
    .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s.,:;!?)])/gm, "$1<s>$2</s>");
}

export function textObject(obj, names) {
  if (!obj) return "";
  return obj.type === "mrkdwn" ? mrkdwn(obj.text, names) : escapeHtml(obj.text || "");
}

function richText(node) {
  if (!node) return "";
  if (typeof node.text === "string") return node.text;
  if (node.type === "user") return `@${node.user_id}`;
  if (node.type === "link") return node.text || node.url;
  return (node.elements || []).map(richText).join("");
}

/** An interactive element. `press(action)` sends a block_actions press (action: {action_id, block_id, value?}). */
function element(e, block, ctx) {
  const base = { action_id: e.action_id, block_id: block.block_id };
  switch (e.type) {
    case "button":
      if (e.url) return el("a", { class: `sl-button ${e.style || ""}`, href: e.url, target: "_blank", rel: "noopener" }, e.text.text);
      return el("button", { type: "button", class: `sl-button ${e.style || ""}`, onclick: () => ctx.press(base) }, e.text.text);
    case "static_select": case "overflow": {
      const options = e.options || (e.option_groups || []).flatMap((g) => g.options);
      const placeholder = e.type === "overflow" ? "⋯" : (e.placeholder && e.placeholder.text) || "Select…";
      return el("select", {
        class: "sl-select",
        onchange: (ev) => ev.target.value && ctx.press({ ...base, value: ev.target.value }),
      }, el("option", { value: "" }, placeholder), options.map((o) => el("option", { value: o.value }, o.text.text)));
    }
    case "datepicker":
      return el("input", { type: "date", class: "sl-select", value: e.initial_date, onchange: (ev) => ctx.press({ ...base, value: ev.target.value }) });
    case "image":
      return el("img", { class: "sl-thumb", src: e.image_url, alt: e.alt_text || "" });
    case "mrkdwn": case "plain_text":
      return el("span", { html: textObject(e, ctx.names) });
    default:
      return el("span", { class: "muted" }, `[${e.type}]`);
  }
}

/** An input block's control, named block_id/action_id so a modal form can collect it. */
function input(block, ctx) {
  const e = block.element || {};
  const name = `${block.block_id}/${e.action_id}`;
  const error = ctx.errors && ctx.errors[block.block_id];
  let control;
  if (e.type === "plain_text_input" || e.type === "email_text_input" || e.type === "url_text_input" || e.type === "number_input") {
    const attrs = { name, "data-kind": "text", placeholder: e.placeholder && e.placeholder.text, "aria-label": block.label.text };
    control = e.multiline ? el("textarea", { ...attrs, rows: 4 }, e.initial_value || "") : el("input", { ...attrs, value: e.initial_value || "" });
  } else if (e.type === "static_select" || e.type === "radio_buttons") {
    const options = e.options || (e.option_groups || []).flatMap((g) => g.options);
    control = el("select", { name, "data-kind": "option", "aria-label": block.label.text },
      el("option", { value: "" }, "Select…"),
      options.map((o) => el("option", { value: o.value, selected: e.initial_option && e.initial_option.value === o.value }, o.text.text)));
  } else if (e.type === "datepicker") {
    control = el("input", { type: "date", name, "data-kind": "date", value: e.initial_date || "", "aria-label": block.label.text });
  } else if (e.type === "checkboxes" || e.type === "multi_static_select") {
    control = el("div", { class: "checks" }, (e.options || []).map((o) =>
      el("label", {}, el("input", { type: "checkbox", name, "data-kind": "multi", value: o.value }), " ", o.text.text)));
  } else {
    control = el("div", { class: "muted" }, `[${e.type} is not drawn here]`);
  }
  return el("label", { class: "sl-input" },
    el("span", { class: "sl-input-label" }, block.label.text, block.optional ? el("span", { class: "muted" }, " (optional)") : null),
    control,
    block.hint ? el("span", { class: "muted small" }, block.hint.text) : null,
    error ? el("span", { class: "sl-error" }, error) : null);
}

/** Blocks → DOM nodes. ctx: {names, press(action), errors?} */
export function renderBlocks(blocks, ctx) {
  return (blocks || []).map((block) => {
    switch (block.type) {
      case "header":
        return el("div", { class: "sl-block-header" }, block.text.text);
      case "section":
        return el("div", { class: "sl-section-block" },
          el("div", { class: "sl-section-body" },
            block.text ? el("div", { html: textObject(block.text, ctx.names) }) : null,
            block.fields ? el("div", { class: "sl-fields" }, block.fields.map((f) => el("div", { html: textObject(f, ctx.names) }))) : null),
          block.accessory ? el("div", { class: "sl-accessory" }, element(block.accessory, block, ctx)) : null);
      case "context":
        return el("div", { class: "sl-context" }, (block.elements || []).map((e) => element(e, block, ctx)));
      case "divider":
        return el("hr", { class: "sl-divider" });
      case "actions":
        return el("div", { class: "sl-actions" }, (block.elements || []).map((e) => element(e, block, ctx)));
      case "image":
        return el("figure", { class: "sl-image" },
          block.title ? el("figcaption", {}, block.title.text) : null,
          el("img", { src: block.image_url || "", alt: block.alt_text || "" }));
      case "input":
        return input(block, ctx);
      case "rich_text":
        return el("div", { class: "sl-rich" }, richText(block));
      case "markdown":
        return el("div", { html: mrkdwn(block.text, ctx.names) });
      default:
        return el("div", { class: "muted" }, `[${block.type} block]`);
    }
  });
}

/** A modal form's values in the driver's shape: {block_id: {action_id: value}}. */
export function formValues(form) {
  const values = {};
  for (const field of form.querySelectorAll("[data-kind]")) {
    const [blockId, actionId] = field.name.split("/");
    const slot = (values[blockId] = values[blockId] || {});
    if (field.dataset.kind === "multi") {
      slot[actionId] = slot[actionId] || [];
      if (field.checked) slot[actionId].push(field.value);
    } else if (field.value !== "") {
      slot[actionId] = field.value;
    }
  }
  return values;
}
