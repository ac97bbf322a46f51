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
  // Print buttons (the page's own Content-Security-Policy forbids inline handlers).
  for (const button of document.querySelectorAll("button[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
  // The segment builder's live count: re-count shortly after the rule stops changing (the
  // buttons work without this).
  const builder = document.querySelector("form[data-live-count]");
  if (builder) {
    const rule = builder.elements["rule"];
    const out = document.getElementById("live-count");
    let timer = null;
    rule.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const body = new FormData();
        body.set("csrf_token", builder.elements["csrf_token"].value);
        body.set("rule", rule.value);
        const answer = await fetch(builder.dataset.liveCount, {method: "POST", body: body});
        const data = await answer.json();
        out.textContent = data.count === null ? "–" : data.count;
        rule.setAttribute("aria-invalid", answer.ok ? "false" : "true");
        rule.title = data.errors.join("\n");
      }, 300);
    });
  }
});
