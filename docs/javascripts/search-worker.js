// Material's search worker, given questions as queries that answer them: punctuation around a
// word dropped ("ad," and "free?" are the words "ad" and "free"), stop words dropped (Material's
// wildcards let "for" find "format"), words under four letters matched whole, longer ones also
// as prefixes; queries with search syntax are left as they are.

const QUERY = 2; // Material's SearchMessageType.QUERY
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

addEventListener("message", (event) => {
  if (event.data && event.data.type === QUERY) {
    event.data.data = question(event.data.data);
  }
});

importScripts(new URL(location.href).searchParams.get("material"));
