// The pattern views' tabs (a dcc.Tabs, which draws plain divs) made real tabs for keyboards and screen readers:
// role="tablist"/"tab"/"tabpanel", aria-selected, one tab in the Tab order (the selected one), arrow keys, Home and
// End move between tabs and open them, Enter and Space open the focused one.
(function () {
  function dress(container) {
    container.setAttribute("role", "tablist");
    container.setAttribute("aria-label", "Patterns in this selection");
    const tabs = [...container.querySelectorAll(":scope > .tab")];
    tabs.forEach((tab, i) => {
      const selected = tab.classList.contains("tab--selected");
      tab.setAttribute("role", "tab");
      tab.id = tab.id || container.id + "-tab-" + i;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    });
    const panel = container.parentElement && container.parentElement.querySelector(":scope > .tab-content");
    const selected = tabs.find((tab) => tab.classList.contains("tab--selected"));
    if (panel) {
      panel.setAttribute("role", "tabpanel");
      if (selected) panel.setAttribute("aria-labelledby", selected.id);
    }
  }

  function onKey(event) {
    const tab = event.target.closest && event.target.closest("[role='tab']");
    if (!tab || !tab.parentElement.matches(".tab-container")) return;
    const tabs = [...tab.parentElement.querySelectorAll(":scope > .tab")];
    const here = tabs.indexOf(tab);
    const moves = { ArrowRight: here + 1, ArrowLeft: here - 1, Home: 0, End: tabs.length - 1 };
    let next = null;
    if (event.key in moves) next = tabs[(moves[event.key] + tabs.length) % tabs.length];
    else if (event.key === "Enter" || event.key === " ") next = tab;
    if (!next) return;
    event.preventDefault();
    next.click();
    next.focus();
  }

  function dressAll() {
    document.querySelectorAll(".tab-container").forEach(dress);
  }

  document.addEventListener("keydown", onKey);
  new MutationObserver(dressAll).observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["class"],
  });
  dressAll();
})();
