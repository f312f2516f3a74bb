// The estimator's form on the Try page: a table of markets (typed, or pasted as CSV), the
// billing currency, an optional provider profile, and the answer with a CSV to download. The
// columns and profiles come from the manifest the site was built with (engine.json), which
// takes them from the package's vocabulary and provider profiles: nothing here names a category.
import { element, sum, table } from "./engine-forms.mjs";

const FEES = ["per_message_sent", "per_message_received", "markup_percent", "per_failed_message",
  "licence_per_number"];

// One row of the table: a market picker and a number for each count.
function addRow(form, manifest, values = {}) {
  const body = form.querySelector(".estimate-markets tbody");
  const picker = element("select", { "data-column": "market", "aria-label": "Market" },
    ...manifest.markets.map((market) => element("option", {}, market)));
  picker.value = manifest.markets.includes(values.market) ? values.market : manifest.markets[0];
  const cells = [element("td", { "data-label": "Market" }, picker)];
  for (const column of manifest.columns) {
    const input = element("input", {
      type: "number", min: "0", step: "1", inputmode: "numeric", "data-column": column.name,
      "aria-label": column.heading, title: column.words,
    });
    input.value = values[column.name] ?? "0";
    cells.push(element("td", { "data-label": column.heading }, input));
  }
  const remove = element("button", { type: "button", class: "md-button", "aria-label": "Remove this market" }, "Remove");
  remove.addEventListener("click", () => body.children.length > 1 && remove.closest("tr").remove());
  cells.push(element("td", { "data-label": "This row" }, remove));
  body.append(element("tr", {}, ...cells));
}

// Pasted CSV: a header of column names (market, then any counts), a row per market. Commas,
// semicolons or tabs; a market may be quoted. Mistakes in figures are left for the engine to name.
export function rowsFromCsv(text, columns) {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  const split = (line) => line.split(/[,;\t](?=(?:[^"]*"[^"]*")*[^"]*$)/).map((cell) => cell.trim().replace(/^"|"$/g, ""));
  const known = ["market", ...columns.map((column) => column.name)];
  const header = split(lines[0] || "").map((name) => name.toLowerCase().replace(/ /g, "_"));
  const unknown = header.find((name) => !known.includes(name));
  if (!header.includes("market") || unknown) {
    throw new Error(`CSV line 1: ${unknown ? `unknown column "${unknown}"` : "no market column"}; `
      + `the header names the columns: ${known.join(", ")}`);
  }
  return lines.slice(1).map((line) => Object.fromEntries(split(line).map((cell, at) => [header[at], cell])));
}

function fillProfile(form, manifest) {
  const profile = manifest.providers.find((found) => found.name === form.elements.profile.value);
  for (const name of FEES) {
    form.elements[name].value = profile ? profile[name] : "0";
  }
  form.elements.markup_on.value = profile ? profile.markup_on.join(", ") : "";
  form.elements.provider_currency.value = profile ? profile.currency : "";
  form.querySelector(".estimate-profile-source").textContent = profile ? `Source: ${profile.source}.` : "";
}

// Sets the form up once the manifest is read.
export function prepare(form, manifest) {
  const head = form.querySelector(".estimate-markets thead tr");
  head.replaceChildren(element("th", { scope: "col" }, "Market"),
    ...manifest.columns.map((column) => element("th", { scope: "col", title: column.words }, column.heading)),
    element("th", { scope: "col" }, "Row"));
  addRow(form, manifest, { market: "India", marketing: "1000", utility: "2000", authentication: "500",
    service: "3000", customers_writing_first: "1500", via_ads: "100" });
  form.querySelector("[data-add-row]").addEventListener("click", () => addRow(form, manifest));
  form.querySelector("[data-read-csv]").addEventListener("click", () => {
    const said = form.querySelector(".estimate-csv-problem");
    said.textContent = "";
    try {
      const rows = rowsFromCsv(form.elements.pasted.value, manifest.columns);
      form.querySelector(".estimate-markets tbody").replaceChildren();
      rows.forEach((row) => addRow(form, manifest, row));
    } catch (error) {
      said.textContent = error.message;
    }
  });
  const profile = form.elements.profile;
  profile.replaceChildren(element("option", { value: "" }, "None"),
    ...manifest.providers.map((found) => element("option", {}, found.name)),
    element("option", { value: "custom" }, "My own fees"));
  profile.addEventListener("change", () => fillProfile(form, manifest));
  for (const name of [...FEES, "markup_on"]) {
    form.elements[name].addEventListener("input", () => { form.elements.provider_currency.value = ""; });
  }
}

function count(value) {
  const text = String(value).trim().replace(/[\s_]/g, "");
  return /^\d+$/.test(text) ? Number(text) : text;
}

// What the engine is asked: the month, the table, and the provider's fees if any.
export function argument(form) {
  const fields = form.elements;
  const markets = [...form.querySelectorAll(".estimate-markets tbody tr")].map((row) => Object.fromEntries(
    [...row.querySelectorAll("[data-column]")].map((input) => [input.dataset.column,
      input.dataset.column === "market" ? input.value : count(input.value || "0")])));
  const asked = {
    month: fields.month.value, currency: fields.currency.value, time_zone: fields.time_zone.value,
    numbers: count(fields.numbers.value || "1"), failed_messages: count(fields.failed_messages.value || "0"),
    markets,
  };
  if (fields.profile.value) {
    const chosen = fields.profile.value === "custom" ? "My provider" : fields.profile.value;
    asked.provider = {
      name: chosen, currency: fields.provider_currency.value || fields.currency.value,
      markup_on: fields.markup_on.value.split(",").map((name) => name.trim()).filter(Boolean),
      ...Object.fromEntries(FEES.map((name) => [name, fields[name].value.trim() || "0"])),
    };
  }
  return JSON.stringify(asked);
}

function money(amount, estimate, unpriced = 0) {
  return `${sum(amount)} ${estimate.currency}${unpriced ? ` + ${unpriced.toLocaleString("en")} unpriced` : ""}`;
}

// The answer: Meta's charge per market and category, now and a year earlier; the provider's
// line apart; and the month as CSV.
export function show(output, answer) {
  const { month, a_year_earlier: before } = answer;
  const rows = month.lines.map((line, at) => [
    line.market, line.category, line.messages.toLocaleString("en"), line.charged.toLocaleString("en"),
    money(line.amount, month, line.unpriced), money(before.lines[at].amount, before, before.lines[at].unpriced),
  ]);
  rows.push(["Meta's charge", "", "", "", money(month.total, month, month.unpriced), money(before.total, before, before.unpriced)]);
  const provider = month.provider;
  if (provider) {
    rows.push([`${provider.name} fees`, "", "", "", money(provider.total, month), money(before.provider.total, before)]);
    rows.push(["All in", "", "", "", money(month.all_in, month), money(before.all_in, before)]);
  }
  const csv = URL.createObjectURL(new Blob([answer.csv], { type: "text/csv" }));
  const parts = [
    table(["Market", "Category", "Messages", "Charged", `${month.traffic.month}`, `${before.traffic.month}`], rows),
    element("p", {}, element("a", { href: csv, download: `whatsapp-estimate-${month.traffic.month}.csv`, class: "estimate-download" },
      "Download this estimate as CSV")),
  ];
  if (provider) {
    parts.push(element("p", { class: "engine-notice" }, `${provider.name} fees are not Meta's: `
      + `${sum(provider.messages)} per message, ${sum(provider.markup)} markup, ${sum(provider.failed)} for failed messages, `
      + `${sum(provider.licences)} in licences (${month.currency}). ${provider.source ? `Source: ${provider.source}.` : ""}`));
  }
  for (const estimate of [month, before].filter((found) => found.unpriced)) {
    parts.push(element("p", { class: "engine-notice" }, `${estimate.unpriced.toLocaleString("en")} messages of `
      + `${estimate.traffic.month} could not be priced: the rate cards shipped with this site have `
      + `no sourced ${estimate.currency} rate for them, so the amount shown is what the others cost.`));
  }
  parts.push(element("p", {}, `Rules applied: ${month.periods.join(", ") || "none"} in ${month.traffic.month}; `
    + `${before.periods.join(", ") || "none"} in ${before.traffic.month} (see the change history).`));
  parts.push(...[...new Set([...month.notices, ...before.notices])].map((notice) => element("p", { class: "engine-notice" }, notice)));
  output.replaceChildren(...parts);
}
