// The estimator's form on the Try page: a table of countries or markets (typed, or pasted as CSV), the
// billing currency, an optional provider profile, and the answer with a CSV to download. The
// columns and profiles come from the manifest the site was built with (engine.json), which
// takes them from the package's vocabulary and provider profiles: nothing here names a category.
import { element, sum, table } from "./engine-forms.mjs";

const FEES = ["per_message_sent", "per_message_received", "markup_percent", "per_failed_message",
  "licence_per_number"];

// One row of the table: a country or market (typed, with suggestions) and a number for each count.
function addRow(form, manifest, values = {}) {
  const body = form.querySelector(".estimate-markets tbody");
  const place = element("input", {
    "data-column": "country", "aria-label": "Country or market", list: "estimate-places",
    placeholder: "US, CA, IN or a market", spellcheck: "false", autocomplete: "off",
    title: "A country's ISO code (US, CA, IN) or name, or a market of Meta's rate cards",
  });
  place.value = values.country ?? values.market ?? "";
  const cells = [element("td", { "data-label": "Country or market" }, place)];
  for (const column of manifest.columns) {
    const input = element("input", {
      type: "number", min: "0", step: "1", inputmode: "numeric", "data-column": column.name,
      "aria-label": column.heading, title: column.words,
    });
    input.value = values[column.name] ?? "0";
    cells.push(element("td", { "data-label": column.heading }, input));
  }
  const remove = element("button", { type: "button", class: "md-button", "aria-label": "Remove this row" }, "Remove");
  remove.addEventListener("click", () => body.children.length > 1 && remove.closest("tr").remove());
  cells.push(element("td", { "data-label": "This row" }, remove));
  body.append(element("tr", {}, ...cells));
}

// Pasted CSV: a header of column names (country or market, then any counts), a row per country
// or market. Commas, semicolons or tabs; a name may be quoted. Mistakes in figures and unknown
// countries are left for the engine to name.
export function rowsFromCsv(text, columns) {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  const split = (line) => line.split(/[,;\t](?=(?:[^"]*"[^"]*")*[^"]*$)/).map((cell) => cell.trim().replace(/^"|"$/g, ""));
  const known = ["country", "market", ...columns.map((column) => column.name)];
  const header = split(lines[0] || "").map((name) => name.toLowerCase().replace(/ /g, "_"));
  const unknown = header.find((name) => !known.includes(name));
  const places = header.filter((name) => name === "country" || name === "market").length;
  if (places !== 1 || unknown) {
    const wrong = unknown ? `unknown column "${unknown}"`
      : places ? "both a country and a market column: keep one" : "no country or market column";
    throw new Error(`CSV line 1: ${wrong}; the header names the columns: ${known.join(", ")}`);
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
  form.append(element("datalist", { id: "estimate-places" },
    ...manifest.countries.map(([code, name]) => element("option", { value: code, label: name })),
    ...manifest.markets.map((market) => element("option", { value: market, label: "market" }))));
  head.replaceChildren(element("th", { scope: "col" }, "Country or market"),
    ...manifest.columns.map((column) => element("th", { scope: "col", title: column.words }, column.heading)),
    element("th", { scope: "col" }, "Row"));
  addRow(form, manifest, { country: "IN", marketing: "1000", utility: "2000", authentication: "500",
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
      input.dataset.column === "country" ? input.value.trim() : count(input.value || "0")])));
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

// A line's amount; messages Meta does not deliver are said to be so, as free.
function lineMoney(line, estimate) {
  const amount = money(line.amount, estimate, line.unpriced);
  return line.undelivered ? `${amount}, ${line.undelivered.toLocaleString("en")} not delivered` : amount;
}

// A month as readers name it ("November 2026"), for the headings of the figures priced in it.
function named(estimate) {
  const first = new Date(`${estimate.traffic.month}-01T00:00:00Z`);
  return first.toLocaleString("en", { month: "long", year: "numeric", timeZone: "UTC" });
}

// The pricing periods whose rules and rate cards priced a month, by id (the history page lists them).
function rules(estimate) {
  return estimate.periods.length ? ` (rules ${estimate.periods.join(", ")})` : "";
}

// The answer: Meta's charge per row (country or market) and category, now and a year earlier;
// messages not delivered on lines of their own, with why; the provider's line apart; and the
// month as CSV.
export function show(output, answer) {
  const { month, a_year_earlier: before } = answer;
  const rows = month.lines.map((line, at) => [
    line.row, line.market, line.category, line.messages.toLocaleString("en"), line.charged.toLocaleString("en"),
    lineMoney(line, month), lineMoney(before.lines[at], before),
  ]);
  rows.push(["Meta's charge", "", "", "", "", money(month.total, month, month.unpriced), money(before.total, before, before.unpriced)]);
  const provider = month.provider;
  if (provider) {
    rows.push([`${provider.name} fees`, "", "", "", "", money(provider.total, month), money(before.provider.total, before)]);
    rows.push(["All in", "", "", "", "", money(month.all_in, month), money(before.all_in, before)]);
  }
  const csv = URL.createObjectURL(new Blob([answer.csv], { type: "text/csv" }));
  const parts = [
    table(["Country or market", "Market", "Category", "Messages", `Charged in ${named(month)}`,
      `Meta's charge, ${named(month)}${rules(month)}`, `Same messages, ${named(before)}${rules(before)}`], rows),
    element("p", {}, element("a", { href: csv, download: `whatsapp-estimate-${month.traffic.month}.csv`, class: "estimate-download" },
      "Download this estimate as CSV")),
  ];
  if (provider) {
    parts.push(element("p", { class: "engine-notice" }, `${provider.name} fees are not Meta's: `
      + `${sum(provider.messages)} per message, ${sum(provider.markup)} markup, ${sum(provider.failed)} for failed messages, `
      + `${sum(provider.licences)} in licences (${month.currency}). ${provider.source ? `Source: ${provider.source}.` : ""}`));
  }
  for (const estimate of [month, before]) {
    for (const line of estimate.lines.filter((found) => found.undelivered)) {
      parts.push(element("p", { class: "engine-notice estimate-undelivered" },
        `${named(estimate)}, ${line.row}, ${line.undelivered.toLocaleString("en")} ${line.category} messages: `
        + `not delivered, free. ${line.reason} (rule ${line.rule})`));
    }
  }
  for (const estimate of [month, before].filter((found) => found.unpriced)) {
    parts.push(element("p", { class: "engine-notice" }, `${estimate.unpriced.toLocaleString("en")} messages of `
      + `${named(estimate)} could not be priced: the rate cards shipped with this site have `
      + `no sourced ${estimate.currency} rate for them, so the amount shown is what the others cost.`));
  }
  parts.push(element("p", {}, `Rules applied: ${month.periods.join(", ") || "none"} in ${named(month)}; `
    + `${before.periods.join(", ") || "none"} in ${named(before)} (period ids, listed in the change history).`));
  parts.push(...[...new Set([...month.notices, ...before.notices])].map((notice) => element("p", { class: "engine-notice" }, notice)));
  output.replaceChildren(...parts);
}
