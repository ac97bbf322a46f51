// Progressive enhancement only: every page works without this script.
// No control submits its form on change: choosing with the arrow keys must not leave the page
// (WCAG 3.2.2, on input); forms are sent with their buttons.
document.addEventListener("DOMContentLoaded", () => {
  // A choice that shows other fields (the touchpoint kind) says so next to its button.
  for (const select of document.querySelectorAll("select[data-changes-form]")) {
    select.addEventListener("change", () => {
      const button = select.form.querySelector("button[type=submit]");
      if (button) button.classList.add("pending");
    });
  }
});
