// The task links of the header ("Look up genes", "Bring a gene list", …): besides scrolling to their anchor, put
// the keyboard's focus on the control that starts the task, so that typing can begin at once.
document.addEventListener("click", function (event) {
  const link = event.target.closest("nav.tasks a[href^='#']");
  if (!link) return;
  const anchor = document.getElementById(link.getAttribute("href").slice(1));
  if (!anchor) return;
  event.preventDefault(); // no #fragment in the page's link: it holds the view, and is shared
  anchor.scrollIntoView({ block: "start" });
  const starts = { "gene-list": "enrich-genes", patterns: "pattern-tabs" };
  const start = document.getElementById(starts[anchor.id] || anchor.id) || anchor;
  const control = start.matches("input, textarea, button, select, a[href]")
    ? start
    : start.querySelector("input, textarea, button, select, [tabindex]:not([tabindex='-1']), [role='tab']");
  if (control) window.setTimeout(() => control.focus(), 0);
});
