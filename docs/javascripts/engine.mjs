// The rules in the reader's browser: the project's own engine under Pyodide, from files this
// site serves (assets/engine/). Nothing is fetched until a reader presses a Run button.

import * as estimator from "./estimator.mjs";

const ENGINE = new URL("../assets/engine/", import.meta.url);
let worker = null;
let asked = 0;
const waiting = new Map();

// Asks the engine's thread to call one function of whatsapp_pricing.in_browser.
function ask(call, argument, onProgress) {
  if (!worker) {
    worker = new Worker(new URL("engine-worker.mjs", import.meta.url), { type: "module" });
    worker.onmessage = ({ data }) => {
      if (data.progress) {
        waiting.forEach(({ onProgress: report }) => report(data.progress));
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

function money(charge) {
  return charge.amount === null ? "unpriced" : `${charge.amount} ${charge.currency}`;
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
    : `${verdict.total.amount} ${verdict.total.currency}`;
  output.replaceChildren(
    table(["Message", "Customer", "Market", "Charge", "Rule"], rows),
    element("p", { class: "engine-total" }, element("strong", {}, "Total: "), total),
    element("h3", {}, "Why"),
    reasons,
    ...verdict.notices.map((notice) => element("p", { class: "engine-notice" }, notice)),
  );
}

function showError(output, message) {
  output.replaceChildren(element("p", { class: "engine-error", role: "alert" }, message));
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
};

async function run(form) {
  const request = REQUESTS[form.dataset.engine];
  const output = form.querySelector("output");
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  const started = performance.now();
  const say = (message) => output.replaceChildren(element("p", {}, message));
  say(worker ? "Running…" : "Loading the engine (about 12 MB, once per visit)…");
  try {
    const answer = JSON.parse(await ask(request.call, request.argument(form), say));
    if (answer.error) {
      showError(output, answer.error);
    } else {
      request.show(output, answer);
    }
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

// The estimator's markets, currencies, columns and provider profiles, as the site was built
// (the engine checks the month).
async function fillChoices(form) {
  const manifest = await (await fetch(new URL("engine.json", ENGINE))).json();
  const select = form.elements.currency;
  select.replaceChildren(...manifest.currencies.map((value) => element("option", {}, value)));
  estimator.prepare(form, manifest);
  form.dataset.ready = "true";
}

// "Edit and run" under every timeline picture: the Try page, with this timeline in its form.
function addEditLinks() {
  document.querySelectorAll("figure.wp-timeline[data-timeline]").forEach((figure) => {
    if (figure.querySelector(".edit-and-run")) {
      return;
    }
    const address = new URL(`../try/#timeline=${figure.dataset.timeline}`, import.meta.url);
    figure.append(element("p", { class: "edit-and-run" },
      element("a", { href: address.href }, "Edit and run this timeline")));
  });
}

function bind() {
  addEditLinks();
  document.querySelectorAll("form[data-engine]").forEach((form) => {
    if (form.dataset.bound) {
      return;
    }
    form.dataset.bound = "true";
    if (form.elements.month && !form.elements.month.value) {
      form.elements.month.value = new Date().toISOString().slice(0, 7);
    }
    if (form.dataset.engine === "estimate") {
      fillChoices(form);
    }
    timelineFromAddress(form);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      run(form);
    });
  });
}

window.document$.subscribe(bind);
