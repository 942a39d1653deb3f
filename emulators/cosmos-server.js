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
