// The engine's own thread: Pyodide and the rules load and run here, so the page stays
// responsive while a month of messages is priced. Answers {id, answer} or {id, failure};
// {ready: true} once the engine has loaded (a request {id, call: null} only loads it).

const ENGINE = new URL("../assets/engine/", import.meta.url);
let bridge = null;

// The site's pyodide-lock.json names the package zip as one package that depends on every
// wheel it needs: Pyodide fetches and compiles them while its interpreter starts.
async function load() {
  const { loadPyodide } = await import(new URL("pyodide.mjs", ENGINE).href);
  const pyodide = await loadPyodide({
    indexURL: ENGINE.href,
    packages: ["whatsapp-pricing"],
    stdout: () => {},
  });
  postMessage({ progress: "Installing the rules…" });
  const module = pyodide.pyimport("whatsapp_pricing.in_browser");
  postMessage({ ready: true });
  return module;
}

// Requests are answered one at a time, in the order they came.
let queue = Promise.resolve();

onmessage = ({ data: { id, call, argument } }) => {
  queue = queue.then(async () => {
    try {
      bridge ??= await load();
      if (call === null) {
        postMessage({ id, answer: null });
        return;
      }
      postMessage({ progress: "Running…" });
      postMessage({ id, answer: bridge[call](argument) });
    } catch (error) {
      bridge = null;
      postMessage({ id, failure: String(error.message || error) });
    }
  });
};
