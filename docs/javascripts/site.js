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
      var address = location.origin + location.pathname + "#" + heading.id;
      navigator.clipboard.writeText(address).then(function () {
        button.textContent = "Link copied";
        setTimeout(function () { button.textContent = "Copy link"; }, 2000);
      });
    });
    heading.appendChild(button);
  });
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

document$.subscribe(function () {
  addCopyLinkButtons();
  // The theme adds code toolbars in its own subscriber; name them once it has.
  requestAnimationFrame(nameLandmarks);
});
