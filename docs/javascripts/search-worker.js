// Material's search worker, with the reader's question turned into a query that answers it.
// Material puts a wildcard after every word, and a wildcard skips the stop-word filter, so "for"
// finds "format" and "am" finds "amount": a question's small words outweighed its subject. Here
// the stop words of a question ("why", "am", "i", "for") are dropped, unless it has nothing else,
// and a word shorter than four letters is matched whole ("fee" is not "feedback"); longer words
// keep Material's prefix match ("charge" finds "charged"). Queries with search syntax (quotes,
// + or -, *, ^, ~, :) are left as the reader wrote them.

const QUERY = 2; // Material's SearchMessageType.QUERY
const SYNTAX = /["*^~:]|^[+-]/;
const SHORTEST_PREFIX = 4; // a shorter word is matched whole: "fee" is not "feedback"

function question(query) {
  const words = query.trim().split(/\s+/).filter(Boolean);
  if (!words.length || words.some((word) => SYNTAX.test(word))) {
    return query;
  }
  const kept = words.filter((word) => self.lunr.stopWordFilter(word.toLowerCase()));
  if (!kept.length) {
    return query;
  }
  return kept.map((word) => (word.length >= SHORTEST_PREFIX ? `${word}^1 ${word}*` : `${word}^1`)).join(" ");
}

addEventListener("message", (event) => {
  if (event.data && event.data.type === QUERY) {
    event.data.data = question(event.data.data);
  }
});

importScripts(new URL(location.href).searchParams.get("material"));
