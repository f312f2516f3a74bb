// On every page: an "Edit and run" link under each timeline picture, to the Try page with that
// timeline in its form. The forms' own code (engine-forms.mjs) loads only where a form is.

<<<<<<< HEAD
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
function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}

// Each cell carries its column's name, so that on a phone a row stacks as "Charge: 0.0014 USD".
function table(head, rows) {
  const cells = (row) => row.map((cell, column) => element("td", { "data-label": head[column] }, cell));
  return element("div", { class: "engine-table" }, element("table", {},
    element("thead", {}, element("tr", {}, ...head.map((cell) => element("th", { scope: "col" }, cell)))),
    element("tbody", {}, ...rows.map((row) => element("tr", {}, ...cells(row))))));
}

function money(charge) {
  return charge.amount === null ? "unpriced" : `${charge.amount} ${charge.currency}`;
}

// An exact decimal amount without the zeros a discount leaves behind: 401.900000 is 401.90.
function sum(amount) {
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

function showEstimate(output, answer) {
  const { month, a_year_earlier: before } = answer;
  const earlier = new Map(before.categories.map((line) => [line.category, line]));
  const amount = (line, estimate) => line
    ? `${sum(line.amount)} ${estimate.currency}${line.unpriced ? ` + ${line.unpriced} unpriced` : ""}`
    : "–";
  const rows = month.categories.map((line) => [
    line.category, line.messages.toLocaleString("en"), line.charged.toLocaleString("en"),
    amount(line, month), amount(earlier.get(line.category), before),
  ]);
  rows.push(["Total", "", "", amount({ amount: month.total, unpriced: month.unpriced }, month),
    amount({ amount: before.total, unpriced: before.unpriced }, before)]);
  output.replaceChildren(
    table(["Category", "Messages", "Charged", `${month.traffic.month}`, `${before.traffic.month}`], rows),
    ...[month, before].filter((estimate) => estimate.unpriced).map((estimate) => element("p",
      { class: "engine-notice" }, `${estimate.unpriced.toLocaleString("en")} messages of `
      + `${estimate.traffic.month} could not be priced: the rate cards shipped with this site have `
      + `no sourced ${estimate.currency} rate for them, so the amount shown is what the others cost.`)),
    element("p", {}, `Rules applied: ${month.periods.join(", ")} in ${month.traffic.month}; `
      + `${before.periods.join(", ")} in ${before.traffic.month} (see the change history).`),
    ...[...month.notices, ...before.notices].map((notice) => element("p", { class: "engine-notice" }, notice)),
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
    argument: (form) => {
      const fields = Object.fromEntries(new FormData(form));
      for (const name of Object.keys(fields)) {
        if (!["market", "month", "time_zone", "currency"].includes(name)) {
          fields[name] = Number(fields[name] || 0);
        }
      }
      return JSON.stringify(fields);
    },
    show: showEstimate,
  },
  bill: {
    call: "bill_json",
    argument: (form) => JSON.stringify(Object.fromEntries(new FormData(form))),
    show: showBill,
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

// The estimator's markets and currencies, as the site was built (the engine checks the month).
async function fillChoices(form) {
  const manifest = await (await fetch(new URL("engine.json", ENGINE))).json();
  for (const [name, values] of [["market", manifest.markets], ["currency", manifest.currencies]]) {
    const select = form.elements[name];
    const chosen = select.value;
    select.replaceChildren(...values.map((value) => element("option", {}, value)));
    select.value = values.includes(chosen) ? chosen : values[0];
  }
}

// "Edit and run" under every timeline picture: the Try page, with this timeline in its form.
=======
>>>>>>> main
function addEditLinks() {
  document.querySelectorAll("figure.wp-timeline[data-timeline]").forEach((figure) => {
    if (figure.querySelector(".edit-and-run")) {
      return;
    }
    const link = document.createElement("a");
    link.href = new URL(`../try/#timeline=${figure.dataset.timeline}`, import.meta.url).href;
    link.textContent = "Edit and run this timeline";
    const line = document.createElement("p");
    line.className = "edit-and-run";
    line.append(link);
    figure.append(line);
  });
}

window.document$.subscribe(() => {
  addEditLinks();
  if (document.querySelector("form[data-engine]")) {
    import("./engine-forms.mjs").then((forms) => forms.bind());
  }
});
