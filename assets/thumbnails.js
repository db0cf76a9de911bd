// Figure thumbnails, shown only once the user ticks "show figure thumbnails": nothing is fetched from Europe PMC
// before that. In lists, an image carries its address in `data-src` and gets `src` when it scrolls near the
// window; an image that cannot load gives way to "no preview". In the tables, the `FigureThumb` cell does the same.
(function () {
  var near = new IntersectionObserver(
    function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          near.unobserve(entry.target);
          entry.target.src = entry.target.getAttribute("data-src");
        }
      });
    },
    { rootMargin: "200px" }
  );

  function watch(image) {
    var box = image.closest(".thumb");
    if (box) box.classList.remove("thumb-failed");
    image.removeAttribute("src");
    near.observe(image);
  }

  function watchAll(root) {
    if (root.matches && root.matches("img.thumb-img[data-src]")) watch(root);
    if (root.querySelectorAll) root.querySelectorAll("img.thumb-img[data-src]").forEach(watch);
  }

  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      if (change.type === "attributes") watch(change.target); // a list redrawn in place: another figure's image
      change.addedNodes.forEach(function (node) {
        if (node.nodeType === 1) watchAll(node);
      });
    });
  }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-src"] });

  document.addEventListener(
    "error",
    function (event) {
      var target = event.target;
      if (target && target.classList && target.classList.contains("thumb-img")) {
        var box = target.closest(".thumb");
        if (box) box.classList.add("thumb-failed");
      }
    },
    true
  );

  window.dashAgGridComponentFunctions = Object.assign({}, window.dashAgGridComponentFunctions, {
    FigureThumb: function (props) {
      var failed = React.useState(false);
      var src = props.value;
      if (typeof src !== "string" || src.indexOf("https://europepmc.org/") !== 0) return null;
      if (failed[0]) return React.createElement("span", { className: "thumb-fallback grid-thumb-missing" }, "no preview");
      return React.createElement("img", {
        src: src,
        alt: "",
        loading: "lazy",
        referrerPolicy: "no-referrer",
        className: "grid-thumb",
        onError: function () {
          failed[1](true);
        },
      });
    },
  });
})();
