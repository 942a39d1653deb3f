// Runs the Cosmos DB REST server of @vercel/cosmosdb-server over HTTPS with a certificate the caller made
// (a PKCS#12 file whose subject alternative names cover localhost and 127.0.0.1), on a loopback port.
// Usage: node cosmos-server.js <pkcs12-file> <password> <host> <port, 0 for any free one>
// Prints "cosmos-server listening on <port>" once it accepts connections, and exits when standard input
// closes, so the server never outlives the JVM that started it.
"use strict";

const fs = require("fs");

// The server's point read crashes (500) when the document does not exist, where Cosmos DB answers 404. Wrap the
// handler before the server's routes capture it, so clients see the real service's answer.
const readDocument = require("@vercel/cosmosdb-server/lib/handler/read-document");
const readDocumentAsShipped = readDocument.default;
readDocument.default = (account, req, res, params) => {
  try {
    return readDocumentAsShipped(account, req, res, params);
  } catch (err) {
    if (err instanceof TypeError) {
      res.statusCode = 404;
      return { code: "NotFound", message: "Entity with the specified id does not exist in the system." };
    }
    throw err;
  }
};

// The Java SDK's readMany sends one query per partition key range, a disjunction of (id, partition key) pairs:
//   SELECT * FROM c WHERE ( (c.id = @param1 AND  c["partition"] = @param0 ) OR (c.id = @param3 AND ... ) )
// The server's SQL parser spends some 6 ms on each pair, on the server's only thread, so a readMany of a few hundred
// items stalled every other request for seconds. Queries of exactly that shape are answered by looking the pairs up
// in a set; the rows, their order and the paging are the same, because the server's own "SELECT * FROM c" runs over
// the matching documents. Any other query goes to the parser as before.
const cosmosQuery = require("@zeit/cosmosdb-query");
const parseQuery = cosmosQuery.default;
const READ_MANY_HEAD = "SELECT * FROM c WHERE ( ";
const READ_MANY_PAIR = /\(c\.id = (@\w+) AND\s+c\["(\w+)"\] = (@\w+) \)/y;
const selectAll = parseQuery("SELECT * FROM c");

function readManyPairs(sql) {
  if (!sql.startsWith(READ_MANY_HEAD) || !sql.endsWith(" )")) {
    return null;
  }
  const pairs = [];
  let path = null;
  let at = READ_MANY_HEAD.length;
  const end = sql.length - 2;
  while (at < end) {
    if (pairs.length > 0) {
      if (!sql.startsWith(" OR ", at)) {
        return null;
      }
      at += 4;
    }
    READ_MANY_PAIR.lastIndex = at;
    const m = READ_MANY_PAIR.exec(sql);
    if (!m || (path !== null && m[2] !== path)) {
      return null;
    }
    path = m[2];
    pairs.push([m[1].slice(1), m[3].slice(1)]);
    at = READ_MANY_PAIR.lastIndex;
  }
  return at === end && pairs.length > 0 ? { path, pairs } : null;
}

function readManyQuery({ path, pairs }) {
  // Which partition key paths the query names: the same as for one pair of the same shape.
  const onePair = parseQuery(`SELECT * FROM c WHERE ( (c.id = @a AND  c["${path}"] = @b ) )`);
  return {
    containsPartitionKeys: (paths) => onePair.containsPartitionKeys(paths),
    exec: (documents, options = {}) => {
      const values = new Map((options.parameters || []).map(({ name, value }) => [name.slice(1), value]));
      // Cosmos DB compares without coercion, and an absent value equals nothing: hence JSON of the pair, and no
      // pair with an undefined side.
      const wanted = new Set(pairs.map(([id, key]) => [values.get(id), values.get(key)])
        .filter(([id, key]) => id !== undefined && key !== undefined).map((pair) => JSON.stringify(pair)));
      const found = documents.filter((d) => d.id !== undefined && d[path] !== undefined
        && wanted.has(JSON.stringify([d.id, d[path]])));
      return selectAll.exec(found, { ...options, parameters: [] });
    },
  };
}

cosmosQuery.default = (sql) => {
  const readMany = typeof sql === "string" ? readManyPairs(sql.trim()) : null;
  return readMany ? readManyQuery(readMany) : parseQuery(sql);
};

const { createHttpsServer } = require("@vercel/cosmosdb-server");

const [pfxFile, passphrase, host, port] = process.argv.slice(2);
if (!pfxFile || !passphrase || !host || port === undefined) {
  console.error("usage: node cosmos-server.js <pkcs12-file> <password> <host> <port>");
  process.exit(2);
}

process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();

// keepAlive: without it the server closes every connection, and each request pays a TLS handshake.
const server = createHttpsServer({ pfx: fs.readFileSync(pfxFile), passphrase, keepAlive: true });
server.on("error", (err) => {
  console.error(`cosmos-server failed: ${err.message}`);
  process.exit(1);
});
server.listen(Number(port), host, () => {
  console.log(`cosmos-server listening on ${server.address().port}`);
});
