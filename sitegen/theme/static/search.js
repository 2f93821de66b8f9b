/* The search page: Pagefind's UI, started with the ?q= of the search box every page has. */
window.addEventListener("DOMContentLoaded", function () {
  var offline = document.getElementById("search-offline");
  if (location.protocol === "file:" || typeof PagefindUI === "undefined") {
    offline.hidden = false;
    return;
  }
  var ui = new PagefindUI({ element: "#search", showSubResults: false, showImages: false, resetStyles: false });
  var query = new URLSearchParams(location.search).get("q");
  if (query) {
    ui.triggerSearch(query);
  }
});
