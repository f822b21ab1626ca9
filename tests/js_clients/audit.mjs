// The GraphQL-over-HTTP audit of graphql-http against a server: node audit.mjs URL
// Prints one JSON line per audit: {"id", "name", "status", "reason"}.
import { auditServer } from 'graphql-http';

const results = await auditServer({ url: process.argv[2] });
for (const { id, name, status, reason } of results) {
  console.log(JSON.stringify({ id, name, status, reason: reason ?? null }));
}
