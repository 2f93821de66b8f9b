/* The search page: Pagefind's UI, started with the ?q= of the search box every page has. */
window.addEventListener("DOMContentLoaded", function () {
  var offline = document.getElementById("search-offline");
  if (location.protocol === "file:" || typeof PagefindUI === "undefined") {
    offline.hidden = false;
    return;
  }
  var host = document.getElementById("search");
  // Result counts in the site's language (Pagefind's own Russian strings get the plural wrong).
  var translations = { one_result: host.dataset.oneResult, many_results: host.dataset.manyResults };
  var ui = new PagefindUI({
    element: "#search", showSubResults: false, showImages: false, resetStyles: false, translations: translations,
    showEmptyFilters: false,
  });
  // Pagefind's own box is named only by its title; give it the site's label (axe: label-title-only).
  var box = document.querySelector("#search .pagefind-ui__search-input");
  if (box && host.dataset.label) {
    box.setAttribute("aria-label", host.dataset.label);
  }
  var query = new URLSearchParams(location.search).get("q");
  if (query) {
    ui.triggerSearch(query);
  }
});
