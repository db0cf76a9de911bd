// When a figure image cannot be loaded (Europe PMC may not serve it), hide it and show the link beside it.
document.addEventListener(
  "error",
  function (event) {
    var target = event.target;
    if (target && target.classList && target.classList.contains("figure-image")) {
      var box = target.closest(".figure-image-box");
      if (box) {
        box.classList.add("image-failed");
      }
    }
  },
  true
);
