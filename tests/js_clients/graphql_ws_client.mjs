// The graphql-ws client, with its default settings, running one operation:
//   node graphql_ws_client.mjs URL AUTHORIZATION QUERY
// Prints one JSON line once the operation has ended and the client's socket has closed:
// {"outcome": "data"|"error"|"closed", "payload", "ms", "connections"}, where `ms` is the
// time to the operation's end and `connections` counts the sockets the client opened (a
// retry opens another; a lazy client, the default, opens none once its socket has closed
// with no operation left).
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, authorization, query] = process.argv.slice(2);
const started = performance.now();
let connections = 0;
let socketClosed;
const closed = new Promise((resolve) => { socketClosed = resolve; });
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: authorization ? { authorization } : {},
  on: {
    connecting: () => { connections += 1; },
    closed: (event) => socketClosed({ code: event.code, reason: event.reason }),
  },
});

const ended = (outcome, payload) => ({
  outcome, payload, ms: Math.round(performance.now() - started),
});
const result = await new Promise((resolve) => {
  const received = [];
  client.subscribe({ query }, {
    next: (value) => received.push(value),
    error: (error) => resolve(
      Array.isArray(error)
        ? ended('error', error)
        : ended('closed', { code: error.code, reason: error.reason }),
    ),
    complete: () => resolve(ended('data', received)),
  });
});
const close = await closed;
console.log(JSON.stringify({ ...result, close, connections }));
await client.dispose();
