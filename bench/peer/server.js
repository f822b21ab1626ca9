// PostGraphile 4 over the bench's schema `peer` (schema.sql), as its documentation sets it up
// for production, in one process per worker (node's cluster: the first process hands each
// connection to a worker).
"use strict";
const cluster = require("node:cluster");
const http = require("node:http");
const { postgraphile } = require("postgraphile");

const port = Number(process.env.PORT);
const workers = Number(process.env.WORKERS || 2);

if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on("exit", () => process.exit(1));
  process.on("SIGTERM", () => {
    for (const worker of Object.values(cluster.workers)) worker.kill();
    process.exit(0);
  });
} else {
  const middleware = postgraphile(process.env.DATABASE_URL, "peer", {
    disableDefaultMutations: true,
    disableQueryLog: true,
    dynamicJson: true,
    setofFunctionsContainNulls: false,
    ignoreRBAC: false,
    retryOnInitFail: false,
  });
  http.createServer(middleware).listen(port, "127.0.0.1", () => console.log("listening"));
}
