// Runs on every page view through Material's document$, so it survives instant navigation.

// A "Copy link" button beside every question, for support staff pasting links into tickets.
function addCopyLinkButtons() {
  document.querySelectorAll("article h2[id], article h3[id]").forEach(function (heading) {
    if (heading.querySelector(".copy-link")) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-link";
    button.textContent = "Copy link";
    button.setAttribute("aria-label", "Copy a link to this question");
    button.addEventListener("click", function () {
      copyAddress(location.origin + location.pathname + kept() + "#" + heading.id, heading, button);
    });
    heading.appendChild(button);
  });
}

// What a copied link keeps of the address: a rate picker's market and currency (not search
// highlighting), so that the link opens the same rates.
function kept() {
  var asked = new URLSearchParams(location.search);
  var keep = new URLSearchParams();
  ["market", "currency"].forEach(function (name) {
    if (asked.get(name)) {
      keep.set(name, asked.get(name));
    }
  });
  var query = keep.toString();
  return query ? "?" + query : "";
}

// A timeline picture wider than a phone scrolls inside its box: say so, and shade the edge
// that has more to see.
function markScrollingPictures() {
  document.querySelectorAll(".wp-timeline-picture").forEach(function (picture) {
    var scrolls = picture.scrollWidth > picture.clientWidth + 1;
    picture.classList.toggle("wp-scrolls", scrolls);
    var hint = picture.previousElementSibling;
    var hasHint = hint && hint.classList.contains("wp-scroll-hint");
    if (scrolls && !hasHint) {
      hint = document.createElement("p");
      hint.className = "wp-scroll-hint";
      hint.textContent = "Wider than the screen: swipe the picture sideways to see all of it.";
      picture.before(hint);
    } else if (!scrolls && hasHint) {
      hint.remove();
    }
  });
}

// The Clipboard API exists only in secure contexts (https, localhost); on plain http, or when the
// browser refuses, the address is copied from a selected text field, which stays if that fails too.
function copyAddress(address, heading, button) {
  if (!navigator.clipboard) {
    copyFromField(address, heading, button);
    return;
  }
  navigator.clipboard.writeText(address).then(
    function () { sayCopied(button); },
    function () { copyFromField(address, heading, button); }
  );
}

function copyFromField(address, heading, button) {
  var field = heading.nextElementSibling;
  if (!field || !field.classList.contains("copy-link-field")) {
    field = document.createElement("input");
    field.type = "text";
    field.readOnly = true;
    field.className = "copy-link-field";
    field.setAttribute("aria-label", "Link to this question");
    heading.after(field);
  }
  field.value = address;
  field.focus();
  field.select();
  var copied = false;
  try {
    copied = document.execCommand("copy");
  } catch (refused) {
    copied = false;
  }
  if (copied) {
    field.remove();
    button.focus();
    sayCopied(button);
  } else {
    button.textContent = "Press Ctrl+C or \u2318C to copy";
  }
}

function sayCopied(button) {
  button.textContent = "Link copied";
  setTimeout(function () { button.textContent = "Copy link"; }, 2000);
}

// Names for the theme's unnamed landmarks: the search dialog, and each code block's toolbar.
function nameLandmarks() {
  var search = document.querySelector(".md-search[role=dialog]");
  if (search) {
    search.setAttribute("aria-label", "Search");
  }
  document.querySelectorAll(".md-code__nav").forEach(function (toolbar, index) {
    toolbar.setAttribute("aria-label", "Code example " + (index + 1));
  });
}

// A rule code pasted as it appears in a verdict (rules/#pmp.service_charged) finds its entry,
// whose anchor has hyphens (rules/#pmp-service-charged).
function followRuleCode() {
  var wanted = decodeURIComponent(location.hash.slice(1));
  if (!wanted || document.getElementById(wanted)) {
    return;
  }
  var entry = document.getElementById(wanted.replace(/[._]/g, "-"));
  if (entry) {
    history.replaceState(null, "", "#" + entry.id);
    entry.scrollIntoView();
  }
}

// Enter in the search box opens the best-scoring answer (a section), not the top of its page:
// Material's own Enter only weighs each page's first link.
function enterOpensTheBestAnswer() {
  var input = document.querySelector("input.md-search__input");
  if (!input || input.dataset.bestAnswer) {
    return;
  }
  input.dataset.bestAnswer = "true";
  input.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") {
      return;
    }
    var best = null;
    var bestScore = -Infinity;
    document.querySelectorAll(".md-search-result__item a.md-search-result__link").forEach(function (link) {
      var article = link.querySelector("[data-md-score]");
      var score = article ? parseFloat(article.getAttribute("data-md-score")) : NaN;
      if (link.hash && score > bestScore) {
        best = link;
        bestScore = score;
      }
    });
    if (best) {
      event.preventDefault();
      event.stopPropagation();
      best.click();
    }
  }, true);
}

window.addEventListener("resize", markScrollingPictures);

document$.subscribe(function () {
  enterOpensTheBestAnswer();
  markScrollingPictures();
  followRuleCode();
  addCopyLinkButtons();
  // The theme adds code toolbars in its own subscriber; name them once it has.
  requestAnimationFrame(nameLandmarks);
});
