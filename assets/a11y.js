// Accessibility of the page's controls, where Dash 4.4's components leave it short, fixed in the page as they are
// drawn (a MutationObserver: they come and go with the callbacks):
// - the pattern views' tabs (a dcc.Tabs draws plain divs) become real tabs: role="tablist"/"tab"/"tabpanel",
//   aria-selected, one tab in the Tab order (the selected one); arrow keys, Home and End move between tabs and open
//   them, Enter and Space open the focused one;
// - radio items and checklists are drawn as role="listbox" holding labels with role="option" around real inputs:
//   the roles go, so that the inputs are plain radio buttons and checkboxes named by their labels;
// - a dropdown's keyboard target (an input marked aria-hidden although it takes the focus) is named after the
//   dropdown's label instead of hidden;
// - a file input (the gene list's upload) is named by the text around it.
(function () {
  // Only what differs is written: the observer watches these attributes, and a write of the same value would
  // wake it again.
  function set(element, name, value) {
    if (element.getAttribute(name) !== value) element.setAttribute(name, value);
  }

  function dressTabs(container) {
    set(container, "role", "tablist");
    set(container, "aria-label", "Patterns in this selection");
    const tabs = [...container.querySelectorAll(":scope > .tab")];
    tabs.forEach((tab, i) => {
      const selected = tab.classList.contains("tab--selected");
      set(tab, "role", "tab");
      if (!tab.id) tab.id = container.id + "-tab-" + i;
      set(tab, "aria-selected", String(selected));
      set(tab, "tabindex", selected ? "0" : "-1");
    });
    const panel = container.parentElement && container.parentElement.querySelector(":scope > .tab-content");
    const selected = tabs.find((tab) => tab.classList.contains("tab--selected"));
    if (panel) {
      set(panel, "role", "tabpanel");
      if (selected) set(panel, "aria-labelledby", selected.id);
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

  function labelOf(control) {
    const label = control.id && document.querySelector("label[for='" + CSS.escape(control.id) + "']");
    return (label && label.textContent.trim()) || control.getAttribute("aria-label") || "";
  }

  function dressOptionLists(list) {
    list.removeAttribute("role");
    for (const option of list.querySelectorAll(":scope > [role='option']")) {
      option.removeAttribute("role");
      option.removeAttribute("aria-selected");
    }
  }

  function dressDropdownTarget(target) {
    const dropdown = target.parentElement && target.parentElement.querySelector("button.dash-dropdown[id]");
    const name = dropdown ? labelOf(dropdown) || dropdown.textContent.trim() : "";
    target.removeAttribute("aria-hidden");
    if (name) set(target, "aria-label", name);
  }

  function dressFileInput(input) {
    const around = input.parentElement ? input.parentElement.textContent.trim() : "";
    set(input, "aria-label", around || "Choose a file");
  }

  function dressAll() {
    document.querySelectorAll(".tab-container").forEach(dressTabs);
    document.querySelectorAll(".dash-options-list[role='listbox']").forEach(dressOptionLists);
    document.querySelectorAll(".dash-dropdown-focus-target[aria-hidden]").forEach(dressDropdownTarget);
    document.querySelectorAll("input[type='file']:not([aria-label])").forEach(dressFileInput);
  }

  document.addEventListener("keydown", onKey);
  new MutationObserver(dressAll).observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: ["class", "role", "aria-hidden"],
  });
  dressAll();
})();
