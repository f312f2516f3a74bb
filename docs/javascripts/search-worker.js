// Material's search worker, given questions as queries that answer them: stop words dropped
// (Material's wildcards let "for" find "format"), words under four letters matched whole,
// longer ones also as prefixes; queries with search syntax are left as they are.

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
