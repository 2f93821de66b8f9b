// Query a built site's Pagefind index from Node, without a browser: node pagefind_query.mjs <site-dir> <query>
// Prints the results as JSON: [{url, title, excerpt}]. fetch() is replaced by a reader of the index files on disk.
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import { pathToFileURL, fileURLToPath } from "node:url";
import path from "node:path";
const [site, word] = process.argv.slice(2);
const bundle = path.resolve(site, "pagefind");
globalThis.fetch = async (input) => {
  const url = new URL(String(input), pathToFileURL(bundle + "/"));
  const data = await readFile(fileURLToPath(url.href.split("?")[0]));
  return new Response(data);
};
// Node before 22 loads a .js file outside a "type": "module" package as CommonJS (Debian 12 has
// Node 18): import a .mjs copy of the ES module instead. Its index files are still read from bundle.
const scratch = await mkdtemp(path.join(os.tmpdir(), "pagefind-query-"));
await copyFile(path.join(bundle, "pagefind.js"), path.join(scratch, "pagefind.mjs"));
const pagefind = await import(pathToFileURL(path.join(scratch, "pagefind.mjs")).href);
await pagefind.options({ basePath: pathToFileURL(bundle + "/").href, baseUrl: "/" });
const search = await pagefind.search(word);
const results = await Promise.all(search.results.map((r) => r.data()));
console.log(JSON.stringify(results.map((r) => ({ url: r.url, title: r.meta.title, excerpt: r.excerpt }))));
await rm(scratch, { recursive: true, force: true });
