// Small progressive enhancements; every page works without them.
document.addEventListener("submit", function (event) {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A table wider than its box scrolls sideways inside it. Such a box gets a visible hint and
// becomes a tab stop, so that keyboard users can scroll it with the arrow keys; a box that
// fits the window again loses both.
(function () {
  const SCROLLERS = ".table-scroll, .matrix-wrap, .table";

  function hintFor(box) {
    let hint = box.previousElementSibling;
    if (hint && hint.classList.contains("scroll-hint")) return hint;
    hint = document.createElement("p");
    hint.className = "scroll-hint muted small";
    hint.textContent = "Wider than the window: scroll sideways to see every column.";
    box.parentNode.insertBefore(hint, box);
    return hint;
  }

  function mark(box) {
    const overflow = window.getComputedStyle(box).overflowX;
    const scrolls = (overflow === "auto" || overflow === "scroll") && box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("scrolls", scrolls);
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.dataset.scrollStop = "1";
      if (box.tagName !== "TABLE" && !box.hasAttribute("role")) {
        const caption = box.querySelector("caption");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (caption ? caption.textContent.trim() : "Table") + ", scrolls sideways");
        box.dataset.scrollRegion = "1";
      }
    } else if (!scrolls && box.dataset.scrollStop) {
      box.removeAttribute("tabindex");
      delete box.dataset.scrollStop;
      if (box.dataset.scrollRegion) {
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        delete box.dataset.scrollRegion;
      }
    }
    if (scrolls || box.previousElementSibling?.classList.contains("scroll-hint")) {
      hintFor(box).classList.toggle("shown", scrolls);
    }
  }

  function markAll() {
    document.querySelectorAll(SCROLLERS).forEach(mark);
  }

  let pending = 0;
  function later() {
    window.cancelAnimationFrame(pending);
    pending = window.requestAnimationFrame(markAll);
  }
  document.addEventListener("DOMContentLoaded", markAll);
  window.addEventListener("resize", later);
  document.addEventListener("htmx:afterSettle", later);
})();
