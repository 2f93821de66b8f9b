/* The search page: Pagefind's UI, started with the ?q= of the search box every page has.
   The index comes in several bundles (pagefind/bundles.json lists them): the newest month's
   (pagefind/recent/, whose UI this page loads) and the archive's, merged into one result list. */
window.addEventListener("DOMContentLoaded", function () {
  var offline = document.getElementById("search-offline");
  if (location.protocol === "file:" || typeof PagefindUI === "undefined") {
    offline.hidden = false;
    return;
  }
  var host = document.getElementById("search");
  // Absolute paths: Pagefind takes the site's base URL from the part before "pagefind/".
  var folder = new URL(host.dataset.bundles, location.href).pathname;
  fetch(folder + "bundles.json")
    .then(function (reply) { return reply.ok ? reply.json() : { bundles: [] }; })
    .catch(function () { return { bundles: [] }; })
    .then(function (list) {
      var merged = (list.bundles || []).filter(function (name) { return name !== "recent"; });
      start(host, merged.map(function (name) { return { bundlePath: folder + name + "/" }; }));
    });
});

function start(host, merged) {
  // Result counts in the site's language (Pagefind's own Russian strings get the plural wrong).
  var translations = { one_result: host.dataset.oneResult, many_results: host.dataset.manyResults };
  var ui = new PagefindUI({
    element: "#search", showSubResults: false, showImages: false, resetStyles: false, translations: translations,
    showEmptyFilters: false,
    mergeIndex: merged,
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
}
