// The "Why was I charged?" page's part of the engine's script (javascripts/engine-forms.mjs loads it
// only where such a form is): the answer as labelled facts, a ticket sentence to copy, and the
// question kept in the page's address.

import { element, money } from "./engine-forms.mjs";

const SITE = new URL("../", import.meta.url);

// "Why was I charged?": each message's charge, period, rule, Meta's report and a ticket sentence.
export function showWhy(output, answers) {
  output.replaceChildren(...answers.map((answer) => {
    const facts = element("dl", { class: "why-facts" },
      element("dt", {}, "Charge"), element("dd", {}, element("strong", {}, money(answer.charge))),
      element("dt", {}, "Market"), element("dd", {}, answer.market),
      element("dt", {}, "Delivered"), element("dd", {}, answer.when),
      element("dt", {}, "Period"), element("dd", {}, element("code", {}, answer.period.id),
        ` ${answer.period.name}, ${answer.period.starts} to ${answer.period.ends ?? "today"}`),
      element("dt", {}, "Rule"), element("dd", {}, element("a", { href: answer.rule_link },
        element("code", {}, answer.rule))),
      element("dt", {}, "Why"), element("dd", { class: "why-reason" }, answer.reason));
    if (answer.meta) {
      const said = Object.entries(answer.meta).map(([field, value]) => `${field} ${JSON.stringify(value)}`);
      facts.append(element("dt", {}, "Meta's webhook"), element("dd", { class: "why-meta" },
        said.join(", "), ". ", answer.expected == null
          // The rules reject the message (csw.closed): no report to agree with, so never "the same".
          ? "The rules expect no such report: under them this message is not delivered at all."
          : answer.differences.length
            ? `Differs from the rules: ${answer.differences.join("; ")}.`
            : "The rules expect the same."));
    }
    const rows = String(Math.ceil(answer.sentence.length / 70) + 1);
    const sentence = element("textarea", { class: "why-sentence", readonly: "", rows,
      "aria-label": "The answer, to paste into a ticket" });
    sentence.value = answer.sentence;
    const copy = element("button", { type: "button", class: "md-button md-button--primary why-copy" }, "Copy for the ticket");
    copy.addEventListener("click", () => copyText(sentence, copy, "Copy for the ticket"));
    return element("section", { class: "why-answer", "aria-label": `Answer for ${answer.message}` },
      facts,
      ...answer.notes.map((note) => element("p", { class: "engine-notice" }, note)),
      element("p", { class: "why-ticket-label" }, element("strong", {}, "For the ticket")),
      sentence, copy);
  }));
}

// Copies a field's text (the Clipboard API where the page is secure, else the selection).
function copyText(field, button, label) {
  const done = () => {
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 2000);
  };
  field.select();
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => document.execCommand("copy") && done());
  } else if (document.execCommand("copy")) {
    done();
  }
}

// The question of a "Why was I charged?" form, with the address of its answer: the page with
// the question in its hash (#why=<base64url of the fields>), which fills the form again.
export function whyQuestion(form) {
  const fields = Object.fromEntries(new FormData(form));
  const packed = btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(fields))))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const page = new URL(location.href);
  page.hash = `why=${packed}`;
  return JSON.stringify({ ...fields, link: page.href, site: SITE.href });
}

export function whyFromAddress(form) {
  const match = location.hash.match(/^#why=([A-Za-z0-9_-]+)$/);
  if (!match) {
    return;
  }
  const bytes = Uint8Array.from(atob(match[1].replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const fields = JSON.parse(new TextDecoder().decode(bytes));
  if (("paste" in fields) !== (form.dataset.engine === "why-paste")) {
    return;
  }
  for (const [name, value] of Object.entries(fields)) {
    const field = form.elements[name];
    if (field) {
      if (field.tagName === "SELECT" && ![...field.options].some((option) => option.value === value)) {
        field.append(element("option", { value }, value));
      }
      field.value = value;
    }
  }
  form.scrollIntoView();
  form.querySelector("output").replaceChildren(element("p", {}, "The question is filled in: press Check."));
}

