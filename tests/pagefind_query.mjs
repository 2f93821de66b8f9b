// Query a built site's Pagefind index from Node, without a browser, as the search page does:
//   node pagefind_query.mjs <folder> <query>...
// <folder> is a site's pagefind/ (its bundles.json lists the bundles: "recent" is the primary one,
// the others are merged into it) or one bundle (it holds pagefind.js). Prints JSON:
// {query: [{url, title, excerpt, score}]}, best first, and {"": {filter: {value: count}}}.
// fetch() reads the index files from disk.
import { access, copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import { pathToFileURL, fileURLToPath } from "node:url";
import path from "node:path";
const [folder, ...queries] = process.argv.slice(2);
globalThis.fetch = async (input) => {
  const data = await readFile(fileURLToPath(String(input).split("?")[0]));
  return new Response(data);
};
const root = path.resolve(folder);
let bundles = [root];
try {
  await access(path.join(root, "bundles.json"));
  const list = JSON.parse(await readFile(path.join(root, "bundles.json"), "utf8")).bundles;
  bundles = list.map((name) => path.join(root, name));
} catch {}
const base = (dir) => pathToFileURL(dir + "/").href;
// Node before 22 loads a .js file outside a "type": "module" package as CommonJS (Debian 12 has
// Node 18): import a .mjs copy of the ES module instead. Its index files are still read from the bundle.
const scratch = await mkdtemp(path.join(os.tmpdir(), "pagefind-query-"));
await copyFile(path.join(bundles[0], "pagefind.js"), path.join(scratch, "pagefind.mjs"));
const pagefind = await import(pathToFileURL(path.join(scratch, "pagefind.mjs")).href);
await pagefind.options({ basePath: base(bundles[0]), baseUrl: "/" });
for (const other of bundles.slice(1)) {
  await pagefind.mergeIndex(base(other), { baseUrl: "/" });
}
const answers = {};
for (const query of queries) {
  const search = await pagefind.search(query);
  const results = await Promise.all(search.results.map(async (r) => ({ score: r.score, data: await r.data() })));
  answers[query] = results.map((r) => ({
    url: r.data.url, title: r.data.meta.title, excerpt: r.data.excerpt, score: r.score,
  }));
}
answers[""] = await pagefind.filters(); // "": the filters and their counts, as the UI lists them
console.log(JSON.stringify(answers));
await rm(scratch, { recursive: true, force: true });
