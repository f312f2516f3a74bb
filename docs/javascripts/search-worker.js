// Material's search worker, with the reader's question turned into a query that answers it.
// Material puts a wildcard after every word, so "for" finds "format" and "fee" finds "feedback",
// and a wildcard word skips the stemmer, so "replies" misses "reply". Here every word of the
// question that is not a stop word is searched whole (and stemmed); only the last word, while
// it is being typed, also matches as a prefix. Stop words ("why", "am", "i", "for") are dropped,
// unless the question has nothing else. Queries with search syntax (quotes, + or -, *, ^, ~, :)
// are left as the reader wrote them.

const QUERY = 2; // Material's SearchMessageType.QUERY
const SYNTAX = /["*^~:]|^[+-]/;
const SHORTEST_PREFIX = 4; // a shorter last word is matched whole: "fee" is not "feedback"

function question(query) {
  const words = query.trim().split(/\s+/).filter(Boolean);
  if (!words.length || words.some((word) => SYNTAX.test(word))) {
    return query;
  }
  const kept = words.filter((word) => self.lunr.stopWordFilter(word.toLowerCase()));
  if (!kept.length) {
    return query;
  }
  const typing = !/\s$/.test(query) && kept[kept.length - 1] === words[words.length - 1];
  return kept.map((word, index) => {
    const last = typing && index === kept.length - 1 && word.length >= SHORTEST_PREFIX;
    return last ? `${word}^1 ${word}*` : `${word}^1`;
  }).join(" ");
}

addEventListener("message", (event) => {
  if (event.data && event.data.type === QUERY) {
    event.data.data = question(event.data.data);
  }
});

importScripts(new URL(location.href).searchParams.get("material"));
