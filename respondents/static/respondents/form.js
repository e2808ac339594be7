/* Optional enhancement only: every page works without this script.
   Stops a second submit of the same form (double tap on a slow connection); the server
   refuses duplicates anyway, this just spares the respondent a confusing reload. */
(function () {
  "use strict";
  document.querySelectorAll("form.survey-page").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      // Disable the buttons only after the browser has collected the clicked one's value.
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          button.disabled = true;
        });
      }, 0);
    });
  });
})();

/* "Leave quickly": replace this page in the history, so Back does not bring the survey back.
   Without script the link is an ordinary one. */
(function () {
  "use strict";
  document.querySelectorAll("a.leave-quickly").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      window.location.replace(link.href);
    });
  });
})();
