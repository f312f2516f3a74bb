// Material's search worker, given questions as queries that answer them: punctuation around a
// word dropped ("ad," and "free?" are the words "ad" and "free"), stop words dropped (Material's
// wildcards let "for" find "format"), words under four letters matched whole, longer ones also
// as prefixes; queries with search syntax are left as they are.
//
// Material starts this worker and hands it the search index as every page opens, but its own
// worker (12 KB compressed, and the time it takes to build the index) serves only a reader who
// searches. So the index is kept here and Material told it is ready; Material's worker is loaded,
// given the index and then the question, at the first question asked. The empty query Material
// asks as a page opens gets the answer Material's worker gives it (no results), without it.

const SETUP = 0; // Material's SearchMessageType
const READY = 1;
const QUERY = 2;
const RESULT = 3;
const MATERIAL = new URL(location.href).searchParams.get("material");
const send = self.postMessage.bind(self); // while Material's worker loads, it is replaced
const SYNTAX = /["*^~:]|^[+-]/;
const EDGES = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;
const SHORTEST_PREFIX = 4; // a shorter word is matched whole: "fee" is not "feedback"

function clauses(word) {
  if (word.length < SHORTEST_PREFIX) {
    return [`${word}^1`];
  }
  return [`${word}^1`, `${word}*`];
}

function question(query) {
  const words = query.trim().split(/\s+/).filter(Boolean);
  if (!words.length || words.some((word) => SYNTAX.test(word))) {
    return query;
  }
  const kept = words
    .map((word) => word.replace(EDGES, ""))
    .filter((word) => word && self.lunr.stopWordFilter(word.toLowerCase()));
  if (!kept.length) {
    return query;
  }
  return kept.flatMap(clauses).join(" ");
}

let material = "waiting"; // then "loading" (for as long as it builds the index), then "loaded"
let index = null; // Material's setup message, kept until its worker is loaded
const held = []; // what came while it loads, handed on in order once it is ready
let handing = false; // a message handed on by this worker, for Material's listener

function handOn(message) {
  handing = true;
  try {
    dispatchEvent(new MessageEvent("message", { data: message }));
  } finally {
    handing = false;
  }
}

// Material's worker answers the index it is given with READY; Material already had ours, so
// that one is not passed on: it says the worker can take the questions held meanwhile.
function whenReady(message) {
  if (message && message.type === READY) {
    self.postMessage = send;
    material = "loaded";
    held.splice(0).forEach(handOn);
  } else {
    send(message);
  }
}

function loadMaterial() {
  material = "loading";
  self.postMessage = whenReady;
  try {
    importScripts(MATERIAL);
  } catch (error) {
    // Not loaded (the connection dropped): the next question tries again.
    self.postMessage = send;
    material = "waiting";
    held.length = 0;
    throw error;
  }
  handOn(index);
}

// Until Material's worker is loaded, a message is kept or answered here, never passed on.
function beforeMaterial(message) {
  if (material === "waiting" && message.type === SETUP) {
    index = message;
    send({ type: READY });
  } else if (material === "waiting" && message.type === QUERY && !message.data.trim()) {
    send({ type: RESULT, data: { items: [] } });
  } else {
    held.push(message);
    if (material === "waiting") {
      loadMaterial();
    }
  }
}

addEventListener("message", (event) => {
  if (!event.data) {
    return;
  }
  if (material !== "loaded" && !handing) {
    event.stopImmediatePropagation();
    beforeMaterial(event.data);
  } else if (event.data.type === QUERY) {
    event.data.data = question(event.data.data);
  }
});
