// A "Copy link" button beside every question, for support staff pasting links into tickets.
// It runs on every page view through Material's document$ so that it survives instant navigation.
document$.subscribe(function () {
  var headings = document.querySelectorAll("article h2[id], article h3[id]");
  headings.forEach(function (heading) {
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
});
