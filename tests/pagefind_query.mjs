// Query a built site's Pagefind index from Node, without a browser: node pagefind_query.mjs <site-dir> <query>
// Prints the results as JSON: [{url, title, excerpt}]. fetch() is replaced by a reader of the index files on disk.
import { readFile } from "node:fs/promises";
import { pathToFileURL, fileURLToPath } from "node:url";
import path from "node:path";
const [site, word] = process.argv.slice(2);
const bundle = path.resolve(site, "pagefind");
globalThis.fetch = async (input) => {
  const url = new URL(String(input), pathToFileURL(bundle + "/"));
  const data = await readFile(fileURLToPath(url.href.split("?")[0]));
  return new Response(data);
};
const pagefind = await import(pathToFileURL(path.join(bundle, "pagefind.js")).href);
await pagefind.options({ basePath: pathToFileURL(bundle + "/").href, baseUrl: "/" });
const search = await pagefind.search(word);
const results = await Promise.all(search.results.map((r) => r.data()));
console.log(JSON.stringify(results.map((r) => ({ url: r.url, title: r.meta.title, excerpt: r.excerpt }))));
