// The engine's own thread: Pyodide and the rules load and run here, so the page stays
// responsive while a month of messages is priced. Answers {id, answer} or {id, failure}.

const ENGINE = new URL("../assets/engine/", import.meta.url);
let bridge = null;

async function load() {
  const manifest = await (await fetch(new URL("engine.json", ENGINE))).json();
  const { loadPyodide } = await import(new URL("pyodide.mjs", ENGINE).href);
  const pyodide = await loadPyodide({ indexURL: ENGINE.href });
  postMessage({ progress: "Installing the rules…" });
  await pyodide.loadPackage(manifest.wheels.map((wheel) => new URL(wheel, ENGINE).href),
    { messageCallback: () => {} });
  const archive = await (await fetch(new URL(manifest.package, ENGINE))).arrayBuffer();
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  pyodide.unpackArchive(archive, "zip", { extractDir: sitePackages });
  return pyodide.pyimport("whatsapp_pricing.in_browser");
}

// Requests are answered one at a time, in the order they came.
let queue = Promise.resolve();

onmessage = ({ data: { id, call, argument } }) => {
  queue = queue.then(async () => {
    try {
      bridge ??= await load();
      postMessage({ progress: "Running…" });
      postMessage({ id, answer: bridge[call](argument) });
    } catch (error) {
      bridge = null;
      postMessage({ id, failure: String(error.message || error) });
    }
  });
};
