// The playground: the control strip, and who you are on each side.
import { demo, el, notice } from "./api.js";
import * as slack from "./slack.js";
import * as phone from "./telegram.js";

const $ = (id) => document.getElementById(id);
let state = null;

function drawParts() {
  $("parts").replaceChildren(...["telegram", "slack", "scheduler"].map((part) => {
    const status = state.parts[part] || "off";
    return el("span", { class: `part ${status}`, title: state.unavailable[part] || status }, part);
  }));
  const when = new Date(state.clock.now);
  const offset = state.clock.offset_days ? ` (+${+state.clock.offset_days.toFixed(2)} d)` : "";
  $("clock").textContent = `Clock: ${when.toLocaleString([], { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: state.timezone })}${offset}`;
}

async function reloadState() {
  state = await demo("state");
  drawParts();
}

function unavailable(part) {
  const why = state.unavailable[part];
  if (why) notice(`Not available yet: ${why}.`, "warn");
  return Boolean(why);
}

function pickers() {
  const customers = $("customer");
  customers.replaceChildren(...state.telegram.customers.map((c) => el("option", { value: c.id }, c.name)));
  const describe = () => {
    const c = state.telegram.customers.find((x) => String(x.id) === customers.value);
    $("customer-role").textContent = `${c.role} · ${c.phone}${c.customer_id ? ` · id ${c.customer_id}` : ""}`;
    phone.showCustomer(Number(customers.value));
    $("control-till").textContent = `Till: sell ${state.till.amount} to ${c.name}`;
  };
  customers.addEventListener("change", describe);
  describe();

  const staff = $("staff");
  staff.replaceChildren(...state.slack.staff.map((s) => el("option", { value: s.id }, `${s.name}${s.is_admin ? " (admin)" : ""}`)));
  staff.addEventListener("change", () => slack.showStaff(staff.value));
  slack.showStaff(staff.value);
}

/** A control that types a staff command; says so plainly when the Slack app does not have it yet. */
function commandControl(id, key) {
  $(id).addEventListener("click", async () => {
    if (unavailable("slack")) return;
    const typed = state.commands[key];
    notice(`You typed ${typed} in #${state.slack.channel.name}.`);
    const answer = await slack.command(typed);
    if (answer && answer.includes(JSON.stringify(state.refusals[key]).slice(1, -1))) {
      notice(`Not available yet: ${typed.split(" ").slice(0, 2).join(" ")} is not in the Slack app of this build.`, "warn");
    }
  });
}

function controls() {
  commandControl("control-digest", "digest");
  $("control-campaign").addEventListener("click", async (event) => {
    if (unavailable("telegram")) return;
    event.target.disabled = true;
    try {
      const result = await demo("campaign", { segment: "all" });
      notice(`As \`retention-bot survey send --segment all\` would: ${result.message}.`);
    } catch (error) {
      notice(`The campaign did not start: ${error.message}`, "warn");
    } finally {
      event.target.disabled = false;
    }
  });
  $("control-till").addEventListener("click", async (event) => {
    event.target.disabled = true;
    try {
      const result = await demo("till", { customer: Number($("customer").value) });
      notice(`As a shop's till would: ${result.message}.`);
    } catch (error) {
      notice(`The till's sale was not recorded: ${error.message}`, "warn");
    } finally {
      event.target.disabled = false;
    }
  });
  $("control-advance").addEventListener("click", async (event) => {
    event.target.disabled = true;
    try {
      const result = await demo("clock", { days: 1 });
      notice(`Clock moved: ${result.message}`);
      await reloadState();
    } catch (error) {
      notice(`Could not move the clock: ${error.message}`, "error");
    } finally {
      event.target.disabled = false;
    }
  });
}

function trouble(error) {
  document.body.classList.toggle("offline", Boolean(error));
  if (error) notice("The demo is not answering (stopped?). Start it again with make demo; this page reconnects.", "error");
}

async function main() {
  await reloadState();
  $("business").textContent = `· ${state.business}`;
  phone.setUp(state, trouble);
  await slack.setUp(state, trouble);
  pickers();
  controls();
  for (const part of ["telegram", "slack"]) {
    if (state.unavailable[part]) notice(`Not available yet: ${state.unavailable[part]}.`, "warn");
  }
  setInterval(() => reloadState().catch(() => {}), 30000); // the clock display
}

main().catch((error) => notice(`The playground could not start: ${error.message}`, "error"));
