// On every page: an "Edit and run" link under each timeline picture, to the Try page with that
// timeline in its form. The forms' own code (engine-forms.mjs) loads only where a form is.

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
