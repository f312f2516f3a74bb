// The forms that run the rules in the reader's browser: the project's own engine under Pyodide,
// from files this site serves (assets/engine/). javascripts/engine.mjs loads this only on a page
// with such a form. The engine starts loading once the page is idle (see warmUp), so that the
// reader's first Run is answered soon after the click; beside each Run button the page says how
// much that downloads, and when the engine is ready.

import * as estimator from "./estimator.mjs";

const ENGINE = new URL("../assets/engine/", import.meta.url);
// "Why was I charged?" forms load their part of this script only on the page that has them.
const why = () => import("./engine-why.mjs");
let worker = null;
let ready = false;
let warming = false;
let asked = 0;
const waiting = new Map();

// Asks the engine's thread to call one function of whatsapp_pricing.in_browser (none: only
// load the engine).
function ask(call, argument, onProgress) {
  if (!worker) {
    worker = new Worker(new URL("engine-worker.mjs", import.meta.url), { type: "module" });
    worker.onmessage = ({ data }) => {
      if (data.progress) {
        waiting.forEach(({ onProgress: report }) => report(data.progress));
        return;
      }
      if (data.ready) {
        engineReady();
        return;
      }
      const { resolve, reject } = waiting.get(data.id);
      waiting.delete(data.id);
      data.failure === undefined ? resolve(data.answer) : reject(new Error(data.failure));
    };
  }
  asked += 1;
  const id = asked;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, call, argument });
  });
}

// A small DOM builder: element(tag, {attributes}, ...children).
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

// Each cell carries its column's name, so that on a phone a row stacks as "Charge: 0.0014 USD".
export function table(head, rows) {
  const cells = (row) => row.map((cell, column) => element("td", { "data-label": head[column] }, cell));
  return element("div", { class: "engine-table" }, element("table", {},
    element("thead", {}, element("tr", {}, ...head.map((cell) => element("th", { scope: "col" }, cell)))),
    element("tbody", {}, ...rows.map((row) => element("tr", {}, ...cells(row))))));
}

// A max price makes a charge an upper bound: Meta charges it or less.
export function money(charge) {
  if (charge.amount === null) return "unpriced";
  return `${charge.at_most ? "at most " : ""}${charge.amount} ${charge.currency}`;
}

// An exact decimal amount without the zeros a discount leaves behind: 401.900000 is 401.90.
export function sum(amount) {
  return amount.includes(".") ? amount.replace(/0+$/, "").replace(/\.(\d?)$/, (_, digit) => `.${digit.padEnd(2, "0")}`) : amount;
}

// The rule's entry on the "Rule codes" page: cbp.free_tier is rules/#cbp-free-tier.
function ruleLink(rule) {
  const address = new URL(`../rules/#${rule.replace(/[._]/g, "-")}`, import.meta.url);
  return element("a", { href: address.href }, element("code", {}, rule));
}

function showVerdict(output, verdict) {
  const rows = verdict.messages.map((message) => [
    message.id, message.customer, message.market, money(message.charge), ruleLink(message.rule),
  ]);
  const reasons = element("dl", { class: "engine-reasons" });
  for (const message of verdict.messages) {
    reasons.append(element("dt", {}, message.id), element("dd", {}, message.reason));
  }
  const total = verdict.total.amount === null
    ? `${verdict.total.priced_amount} ${verdict.total.currency} priced, and ${verdict.total.unpriced_charges} unpriced`
    : `${verdict.total.at_most ? "at most " : ""}${verdict.total.amount} ${verdict.total.currency}`;
  output.replaceChildren(
    table(["Message", "Customer", "Market", "Charge", "Rule"], rows),
    element("p", { class: "engine-total" }, element("strong", {}, "Total: "), total),
    element("h3", {}, "Why"),
    reasons,
    ...verdict.notices.map((notice) => element("p", { class: "engine-notice" }, notice)),
  );
}

// Meta's own figures beside the rules': the summary lines, then every bucket that differs.
function showBill(output, answer) {
  const nodes = [];
  for (const bill of answer.bills) {
    const [money, ...rest] = bill.summary;
    nodes.push(element("p", { class: "engine-total" }, element("strong", {}, money)));
    const differing = bill.rows.filter((row) => row.status !== "agrees");
    nodes.push(...rest.filter((line) => !line.startsWith("    ") && !/^  \d{4}-/.test(line))
      .map((line) => element("p", {}, line.trim())));
    if (differing.length) {
      nodes.push(table(["Bucket (UTC)", "Country", "Category", "Type", "Meta", "Rules", "Status", "Causes"],
        differing.map((row) => [`${row.start} to ${row.end}`, row.country, row.category, row.type,
          `${row.meta_volume} for ${row.meta_cost}`, `${row.rules_volume} for ${row.rules_cost}`,
          row.status, row.causes || "no known cause fits"])));
    }
  }
  output.replaceChildren(...nodes);
}

// An error in the form's words: a leading field name ("utility: ...") becomes the field's label,
// and that field is marked; a place in a JSON box ("line 3, column 7") puts the caret there.
function showError(output, message) {
  const form = output.closest("form");
  let said = message;
  form?.querySelectorAll("[aria-invalid]").forEach((field) => field.removeAttribute("aria-invalid"));
  const named = message.match(/^([a-z_]+): /);
  const field = named && form?.elements[named[1]];
  if (field instanceof HTMLElement) {
    const label = field.closest("label")?.firstChild?.textContent.trim();
    said = `${label || named[1]}: ${message.slice(named[0].length)}`;
    field.setAttribute("aria-invalid", "true");
  } else {
    // Already in the form's words ("Time zone: ..."): mark the field that label names.
    const labelled = message.match(/^([^:]+): /);
    const label = labelled && [...(form?.querySelectorAll("label") ?? [])]
      .find((candidate) => candidate.firstChild?.textContent.trim() === labelled[1]);
    label?.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
  }
  output.replaceChildren(element("p", { class: "engine-error", role: "alert" }, said));
  const place = message.match(/line (\d+), column (\d+)/);
  const box = form?.querySelector("textarea");
  if (place && box) {
    const lines = box.value.split("\n");
    const line = Math.min(Number(place[1]), lines.length);
    const start = lines.slice(0, line - 1).reduce((length, text) => length + text.length + 1, 0);
    const caret = Math.min(start + Number(place[2]) - 1, box.value.length);
    box.setAttribute("aria-invalid", "true");
    box.setSelectionRange(caret, caret);
  }
}

// What each kind of form asks the engine, and how it shows the answer.
const REQUESTS = {
  simulate: {
    call: "simulate_json",
    argument: (form) => form.elements.timeline.value,
    show: showVerdict,
  },
  estimate: {
    call: "estimate_json",
    argument: estimator.argument,
    show: estimator.show,
  },
  "why-paste": {
    call: "why_charged_json",
    argument: async (form) => (await why()).whyQuestion(form),
    show: async (output, answers) => (await why()).showWhy(output, answers),
  },
  bill: {
    call: "bill_json",
    argument: (form) => JSON.stringify(Object.fromEntries(new FormData(form))),
    show: showBill,
  },
  "why-choose": {
    call: "why_charged_json",
    argument: async (form) => (await why()).whyQuestion(form),
    show: async (output, answers) => (await why()).showWhy(output, answers),
  },
};

// What the first Run downloads, from the manifest the build wrote.
let manifestAsked = null;
function engineManifest() {
  manifestAsked ??= fetch(new URL("engine.json", ENGINE)).then((response) => response.json());
  return manifestAsked;
}

async function downloadSize() {
  try {
    const { download_bytes: bytes } = await engineManifest();
    return `${(bytes / 1e6).toFixed(1)} MB, once`;
  } catch (failure) {
    return "once";
  }
}

// Whether an earlier visit left the engine on this device (engine-sw.js keeps it).
async function keptOnDevice() {
  try {
    const { package: zip } = await engineManifest();
    return Boolean(navigator.serviceWorker?.controller && (await caches.match(new URL(zip, ENGINE))));
  } catch (failure) {
    return false;
  }
}

// What the note beside each Run button says, before the reader presses it (and what a Run
// pressed while the engine loads says).
async function sizeNote(loading = warming) {
  if (ready) {
    return "The engine is ready.";
  }
  if (loading) {
    return (await keptOnDevice())
      ? "Starting the engine kept on this device…"
      : `Loading the engine (${await downloadSize()})…`;
  }
  return `First run downloads the engine: ${await downloadSize()}.`;
}

async function sayEngineState() {
  const said = await sizeNote();
  document.querySelectorAll(".engine-size").forEach((note) => { note.textContent = said; });
}

// The engine starts loading as soon as the page is idle, unless the reader's browser asks to
// save data (or is on a 2G connection): then it loads on the first Run, as the note says.
function warmUp() {
  const connection = navigator.connection;
  if (worker || connection?.saveData || /2g/.test(connection?.effectiveType ?? "")) {
    return;
  }
  // If it fails (no connection, say), the note goes back to what the first Run downloads.
  warming = true;
  ask(null, null, () => {}).catch(() => {}).finally(() => {
    warming = false;
    sayEngineState();
  });
  sayEngineState();
}

function engineReady() {
  ready = true;
  document.documentElement.dataset.engineReady = String(Math.round(performance.now()));
  sayEngineState();
  keepForLater();
}

// Once loaded, the engine stays on the device (engine-sw.js): later visits start sooner, and
// work offline. The worker keeps this page's files after it is active, and says when it has:
// data-engine-kept is then "true" (the page opens without a connection) or "false".
function keepForLater() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) {
    return;
  }
  navigator.serviceWorker.register(new URL("../engine-sw.js", import.meta.url))
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => {
      const loaded = performance.getEntriesByType("resource").map((entry) => entry.name)
        .filter((address) => !address.includes("/assets/engine/") && !address.includes("search_index"));
      const answer = new MessageChannel();
      answer.port1.onmessage = ({ data }) => {
        document.documentElement.dataset.engineKept = String(data.kept);
      };
      registration.active.postMessage({ keep: [location.href.split("#")[0], ...loaded] }, [answer.port2]);
    })
    .catch(() => {});
}

// Beside each Run button, before it is pressed: how much the engine downloads, and whether it
// is loading or ready.
async function sayDownloadSize(form) {
  const button = form.querySelector("button[type=submit]");
  if (form.querySelector(".engine-size")) {
    return;
  }
  const note = element("span", { class: "engine-size", role: "status" }, await sizeNote());
  button.after(note);
}

async function run(form) {
  const request = REQUESTS[form.dataset.engine];
  const output = form.querySelector("output");
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  const started = performance.now();
  const say = (message) => output.replaceChildren(element("p", {}, message));
  document.querySelectorAll(".engine-size").forEach((note) => note.remove());
  say(ready ? "Running…" : await sizeNote(true));
  try {
    const answer = JSON.parse(await ask(request.call, await request.argument(form), say));
    if (answer.error) {
      showError(output, answer.error);
    } else {
      await request.show(output, answer);
    }
    form.dataset.answeredAt = String(Math.round(performance.now()));
    form.dataset.ranIn = String(Math.round(performance.now() - started));
  } catch (error) {
    showError(output, `The engine could not run here: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

// A timeline handed over in the address ("Edit and run" on the FAQ pages): #timeline=<base64url>.
function timelineFromAddress(form) {
  const match = location.hash.match(/^#timeline=([A-Za-z0-9_-]+)$/);
  if (match && form.elements.timeline) {
    const bytes = Uint8Array.from(atob(match[1].replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    form.elements.timeline.value = new TextDecoder().decode(bytes);
    form.scrollIntoView();
  }
}

// The forms' markets, countries and currencies, as the site was built (the engine checks the
// day). A country is [ISO code, shown name].
async function fillChoices(form) {
  const manifest = await engineManifest();
  const lists = [["market", manifest.markets], ["currency", manifest.currencies], ["country", manifest.countries]];
  for (const [name, values] of lists) {
    const select = form.elements[name];
    if (!select) {
      continue;
    }
    const chosen = select.value;
    const options = values.map((value) => (Array.isArray(value) ? value : [value, value]));
    select.replaceChildren(...options.map(([value, shown]) => element("option", { value }, shown)));
    select.value = options.some(([value]) => value === chosen) ? chosen : options[0][0];
  }
  if (form.dataset.engine === "estimate") {
    estimator.prepare(form, manifest);
    form.dataset.ready = "true";
  }
}

export function bind() {
  const idle = window.requestIdleCallback ?? ((callback) => setTimeout(callback, 1));
  idle(warmUp, { timeout: 2000 });
  document.querySelectorAll("form[data-engine]").forEach((form) => {
    if (form.dataset.bound) {
      return;
    }
    form.dataset.bound = "true";
    sayDownloadSize(form);
    if (form.elements.month && !form.elements.month.value) {
      form.elements.month.value = new Date().toISOString().slice(0, 7);
    }
    if (form.elements.day && !form.elements.day.value) {
      form.elements.day.value = new Date().toISOString().slice(0, 10);
    }
    const choices = form.querySelector("select[name=market], select[name=currency], select[name=country]")
      ? fillChoices(form) : Promise.resolve();
    timelineFromAddress(form);
    if (form.dataset.engine.startsWith("why-")) {
      choices.then(why).then((module) => module.whyFromAddress(form));
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run(form);
    });
    // The page serves each button disabled: pressed before this code has bound its form, it
    // would submit the form to the server and reload the page, losing what the reader typed.
    form.querySelector("button[type=submit]").disabled = false;
  });
}

