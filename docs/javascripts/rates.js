// The market picker: "what does a message cost in my market today?".
// It reads rate-cards/today.json, which the build writes from the shipped rate cards, and picks
// the card in force on the reader's date the way the simulator does: the latest card of the
// currency that took effect by then and has not ended. Runs on every page view (document$).

// Where Meta requires a market's businesses to be billed in its own currency, the picker shows
// that currency first (Meta's pricing page, read 2026-09-11: eligible businesses in India must
// be billed in INR by 2026-12-31, and from 2027-01-01 Meta stops delivering the messages of
// their other accounts; in Brazil, BRL by 2027-06-30, from 2027-07-01).
var BILLED_IN = {
  "India": { currency: "INR", by: "2026-12-31", from: "2027-01-01" },
  "Brazil": { currency: "BRL", by: "2027-06-30", from: "2027-07-01" }
};

function ratesToday() {
  var now = new Date();
  var month = String(now.getMonth() + 1).padStart(2, "0");
  var day = String(now.getDate()).padStart(2, "0");
  return now.getFullYear() + "-" + month + "-" + day;
}

// The card of a currency in force on a day (ISO dates compare as text).
function cardOn(cards, currency, day) {
  var found = null;
  cards.forEach(function (card) {
    if (card.currency === currency && card.effective <= day) {
      if (!found || card.effective > found.effective) {
        found = card;
      }
    }
  });
  return found && (found.until === null || day <= found.until) ? found : null;
}

function element(tag, text, className) {
  var node = document.createElement(tag);
  if (text) {
    node.textContent = text;
  }
  if (className) {
    node.className = className;
  }
  return node;
}

function rateText(rate, currency) {
  if (rate === null) {
    return "not published";
  }
  if (rate === "n/a") {
    return "no rate on this card";
  }
  return rate + " " + currency;
}

function tierLines(steps, currency) {
  return steps.map(function (step, index) {
    var next = steps[index + 1];
    var span = next
      ? "messages " + step.from.toLocaleString("en") + " to " + (next.from - 1).toLocaleString("en")
      : "from message " + step.from.toLocaleString("en");
    return span + ": " + rateText(step.rate, currency);
  }).join("; ");
}

function drawResult(output, data, market, card, day, address) {
  output.replaceChildren();
  var rates = card.rates[market.name];
  output.appendChild(element("p", market.name + ", in " + card.currency + ", on " + day +
    " (" + card.pricing + ")", "wp-rate-picker__title"));
  if (market.countries.length > 1) {
    output.appendChild(element("p", "This market covers " + market.countries.join(", ") + "."));
  } else if (market.name === "Other") {
    output.appendChild(element("p", "Other covers every country no other market lists."));
  }
  if (card.provisional_from && day >= card.provisional_from) {
    var warning = element("p", null, "wp-rate-picker__warning");
    warning.appendChild(element("strong", "Provisional: "));
    warning.appendChild(document.createTextNode("Meta could have changed these rates from " +
      card.provisional_from + ". No " + card.currency + " card of that quarter is sourced, " +
      "so the simulator charges at this one, the " + card.currency + " card of " +
      card.effective + ", and marks each charge provisional."));
    output.appendChild(warning);
  }
  var table = document.createElement("table");
  var head = table.createTHead().insertRow();
  ["Category", "Rate"].forEach(function (name) {
    var cell = element("th", name);
    cell.scope = "col";
    head.appendChild(cell);
  });
  var body = table.createTBody();
  data.columns.forEach(function (column) {
    var row = body.insertRow();
    row.dataset.category = column;
    var name = element("th", data.column_names[column]);
    name.scope = "row";
    row.appendChild(name);
    var cell = element("td", rateText(rates[column], card.currency));
    var sign = (card.marks[market.name] || {})[column];
    if (sign) {
      var mark = element("sup", sign, "wp-rate-card__mark");
      mark.title = sign.split("").map(function (one) { return data.marks[one]; }).join("; ");
      cell.appendChild(mark);
    }
    row.appendChild(cell);
  });
  output.appendChild(table);
  // What the signs in this market's rows mean, and what holds for the whole card.
  var used = Object.values(card.marks[market.name] || {}).join("");
  var meanings = Object.keys(data.marks).filter(function (sign) {
    return used.indexOf(sign) >= 0;
  }).map(function (sign) { return sign + " " + data.marks[sign] + "."; });
  card.caveats.forEach(function (caveat) {
    meanings.push("Every figure on this card " + caveat + ".");
  });
  if (meanings.length) {
    output.appendChild(element("p", meanings.join(" "), "wp-rate-picker__tiers"));
  }
  if (data.columns.some(function (column) { return rates[column] === null; })) {
    output.appendChild(element("p", "Not published: none of the sources we could check gives " +
      "the rate, and it is never guessed; the simulator reports such a charge as unpriced.",
      "wp-rate-picker__tiers"));
  }
  var tiers = card.tiers[market.name] || {};
  var tiered = Object.keys(tiers);
  var tierText = tiered.length
    ? tiered.map(function (column) {
        return column + ": " + tierLines(tiers[column], card.currency) + " (per calendar month).";
      }).join(" ")
    : "Utility, authentication and authentication-international rates are the list (first " +
      "tier) rates: this market's lower volume tiers are not in the shipped data.";
  output.appendChild(element("p", "Volume tiers: " + tierText, "wp-rate-picker__tiers"));
  var line = element("p", null, "wp-rate-picker__source");
  line.appendChild(document.createTextNode(card.currency + " card of " + card.effective +
    (card.until ? " to " + card.until : ", the latest we ship") +
    (card.read ? ", source read " + card.read : "") + ": "));
  var details = element("a", "Source and details");
  details.href = "#" + card.id;
  details.addEventListener("click", function (event) {
    var target = document.getElementById(card.id);
    if (!target) {
      return;
    }
    // Instant navigation would reload the page (and the reader's choice); instead open the
    // collapsed box of tables and the card's notes, and scroll there.
    event.preventDefault();
    event.stopPropagation();
    [target.closest("details"), target.querySelector("details")].forEach(function (box) {
      if (box) {
        box.open = true;
      }
    });
    history.pushState(null, "", "#" + card.id);
    target.scrollIntoView();
  });
  line.appendChild(details);
  line.appendChild(document.createTextNode(" · "));
  var download = element("a", "CSV");
  download.href = new URL(card.csv, address).href;
  download.setAttribute("download", "");
  download.setAttribute("aria-label", "Download the " + card.currency + " card of " +
    card.effective + " as CSV");
  line.appendChild(download);
  output.appendChild(line);
}

function labelled(id, text, control) {
  var label = element("label", text);
  label.htmlFor = id;
  control.id = id;
  var field = element("div", null, "wp-rate-picker__field");
  field.appendChild(label);
  field.appendChild(control);
  return field;
}

// The address of the question the picker answers: the heading before it.
function questionOf(node) {
  for (var at = node; at; at = at.previousElementSibling || at.parentElement) {
    if (at.matches && at.matches("h2[id]")) {
      return "#" + at.id;
    }
  }
  return location.hash;
}

function buildPicker(root, data, address) {
  var day = ratesToday();
  var marketChoice = document.createElement("select");
  marketChoice.appendChild(new Option("Choose a market", ""));
  var markets = document.createElement("optgroup");
  markets.label = "Markets";
  var regional = [];
  data.markets.forEach(function (market) {
    markets.appendChild(new Option(market.name, market.name));
    market.countries.forEach(function (country) {
      if (country !== market.name) {
        regional.push(new Option(country + " (" + market.name + ")", market.name));
      }
    });
  });
  // A reader knows the customer's country; a region's countries lead to its market.
  var countries = document.createElement("optgroup");
  countries.label = "Countries priced under a regional market";
  regional.sort(function (a, b) { return a.text.localeCompare(b.text, "en"); });
  regional.forEach(function (option) { countries.appendChild(option); });
  marketChoice.append(markets, countries);
  var currencyChoice = document.createElement("select");
  var currencyField = labelled("wp-rate-currency", "Currency", currencyChoice);
  var output = element("div", null, "wp-rate-picker__result");
  output.setAttribute("aria-live", "polite");

  function cardsFor(market) {
    var currencies = [];
    data.cards.forEach(function (card) {
      if (currencies.indexOf(card.currency) < 0) {
        currencies.push(card.currency);
      }
    });
    return currencies.map(function (currency) {
      return cardOn(data.cards, currency, day);
    }).filter(function (card) {
      return card && card.rates[market] !== undefined;
    }).sort(function (a, b) {
      return a.currency === "USD" ? -1 : b.currency === "USD" ? 1 : a.currency < b.currency ? -1 : 1;
    });
  }

  function update() {
    var market = data.markets.find(function (item) { return item.name === marketChoice.value; });
    output.replaceChildren();
    currencyField.hidden = true;
    if (!market) {
      return;
    }
    var cards = cardsFor(market.name);
    if (!cards.length) {
      output.appendChild(element("p", "None of the cards we ship for " + day + " lists " +
        market.name + ": its rates are not published here."));
      return;
    }
    var required = BILLED_IN[market.name];
    var wanted = currencyChoice.value ||
      (required && cards.some(function (item) { return item.currency === required.currency; })
        ? required.currency : "");
    currencyChoice.replaceChildren();
    cards.forEach(function (card) {
      currencyChoice.appendChild(new Option(card.currency, card.currency));
    });
    var card = cards.find(function (item) { return item.currency === wanted; }) || cards[0];
    currencyChoice.value = card.currency;
    currencyField.hidden = cards.length < 2;
    drawResult(output, data, market, card, day, address);
    if (required) {
      output.insertBefore(element("p", "Meta requires eligible businesses of " + market.name +
        " to be billed in " + required.currency + " by " + required.by + ": from " + required.from +
        " it no longer delivers the messages of their accounts billed in another currency. " +
        "Choose the currency your account is billed in.", "wp-rate-picker__billing"),
        output.children[1] || null);
    }
  }

  // The choice is kept in the address (?market=India&currency=INR#cost-today), so support
  // staff can paste a link to one market's rates.
  function remember() {
    var query = new URLSearchParams(location.search);
    query.delete("market");
    query.delete("currency");
    if (marketChoice.value) {
      query.set("market", marketChoice.value);
      if (!currencyField.hidden) {
        query.set("currency", currencyChoice.value);
      }
    }
    var search = query.toString();
    history.replaceState(history.state, "", location.pathname + (search ? "?" + search : "") +
      questionOf(root));
  }

  var asked = new URLSearchParams(location.search);
  if (data.markets.some(function (item) { return item.name === asked.get("market"); })) {
    marketChoice.value = asked.get("market");
    if (asked.get("currency")) {
      currencyChoice.appendChild(new Option(asked.get("currency"), asked.get("currency")));
    }
  }
  marketChoice.addEventListener("change", function () {
    currencyChoice.replaceChildren();
    update();
    remember();
  });
  currencyChoice.addEventListener("change", function () {
    update();
    remember();
  });
  var form = element("form", null, "wp-rate-picker__form");
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.appendChild(labelled("wp-rate-market", "Customer's market", marketChoice));
  form.appendChild(currencyField);
  root.replaceChildren(form, output);
  update();
}

// The rates are fetched only when the picker comes near the screen (or the address asks for a
// market), so a reader of another question on the page does not download them.
function addRatePicker() {
  var root = document.querySelector(".wp-rate-picker[data-rates]");
  if (!root) {
    return;
  }
  if (new URLSearchParams(location.search).has("market") || !("IntersectionObserver" in window)) {
    loadRatePicker(root);
    return;
  }
  var watcher = new IntersectionObserver(function (entries) {
    if (entries.some(function (entry) { return entry.isIntersecting; })) {
      watcher.disconnect();
      loadRatePicker(root);
    }
  }, { rootMargin: "400px" });
  watcher.observe(root);
}

function loadRatePicker(root) {
  var address = new URL(root.dataset.rates, location.href);
  fetch(address).then(function (response) {
    if (!response.ok) {
      throw new Error(response.status);
    }
    return response.json();
  }).then(function (data) {
    buildPicker(root, data, address);
  }).catch(function () {
    root.appendChild(element("p", "The rates could not be loaded; the tables below have them."));
  });
}

document$.subscribe(addRatePicker);
