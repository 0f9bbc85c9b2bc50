// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
  for (const link of document.querySelectorAll("a[data-back]")) {
    if (window.history.length > 1) {
      link.addEventListener("click", (event) => {
        event.preventDefault();
        window.history.back();
      });
    }
  }
});
