// Compiles Python modules to bytecode with the Python of the Pyodide runtime the site serves
// (the build machine's Python is another version, and bytecode is per version). Reads
// {"path/module.py": "<source>", ...} as JSON on stdin; writes {"cache_tag": "cpython-3NN",
// "bytecode": {"path/module.py": "<base64 .pyc>"}, "started_with": ["path/module.py", ...]}
// on stdout, the last being the standard library's modules the runtime imports as it starts
// (paths inside python_stdlib.zip, which Pyodide ships as source). Each .pyc is "unchecked hash"
// bytecode (PEP 552): Python loads it without comparing it to the source's time stamp, which
// unpacking a wheel does not keep. whatsapp_pricing.site.browser_engine runs this at build time.

import { loadPyodide } from "./node_modules/pyodide/pyodide.mjs";

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const pyodide = await loadPyodide({ stdout: () => {}, stderr: (line) => process.stderr.write(`${line}\n`) });
pyodide.globals.set("asked", Buffer.concat(chunks).toString("utf-8"));
const answer = pyodide.runPython(`
import base64, importlib.util, json, sys
from importlib._bootstrap_external import _code_to_hash_pyc

def bytecode(path, source):
    code = compile(source, path, "exec", dont_inherit=True)
    pyc = _code_to_hash_pyc(code, importlib.util.source_hash(source), False)
    return base64.b64encode(pyc).decode()

stdlib = next(path for path in sys.path if path.endswith(".zip")) + "/"
json.dumps({
    "cache_tag": sys.implementation.cache_tag,
    "started_with": sorted({
        module.__file__.removeprefix(stdlib)
        for module in list(sys.modules.values())
        if (getattr(module, "__file__", None) or "").startswith(stdlib)
    }),
    "bytecode": {path: bytecode(path, source.encode()) for path, source in json.loads(asked).items()},
})
`);
process.stdout.write(answer);
