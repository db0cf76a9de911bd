// On a narrow screen (one column, as the style sheet lays it out up to 1100 px) the filters after the text and
// gene search start folded, so that the network comes within the first screens; the user's own opening or closing
// is kept from then on, until the window is widened past the fold. Dash draws the layout after the page loads: the
// first time it appears is watched for.
(function () {
  const NARROW = window.matchMedia("(max-width: 1100px)");
  function fold() {
    const more = document.getElementById("more-filters");
    if (!more) return false;
    if (NARROW.matches) more.open = false;
    return true;
  }
  // Widened past the fold (the summary is hidden there): the filters open again.
  NARROW.addEventListener("change", (event) => {
    const more = document.getElementById("more-filters");
    if (more && !event.matches) more.open = true;
  });
  if (fold()) return;
  const observer = new MutationObserver(() => {
    if (fold()) observer.disconnect();
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
})();
