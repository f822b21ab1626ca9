// Apollo Client with its PersistedQueryLink, as a front-end sets it up, running one query:
//   node apollo_persisted_queries.mjs URL QUERY
// Prints one JSON line: {"data", "requests"}, where `requests` lists what the link sent, in
// order: whether each body had the document, its hash, and the status it got.
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client/core/index.js';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries/index.js';

const [uri, query] = process.argv.slice(2);
const requests = [];
const recordingFetch = async (url, options) => {
  const body = JSON.parse(options.body);
  const response = await fetch(url, options);
  requests.push({
    document: 'query' in body,
    sha256Hash: body.extensions?.persistedQuery?.sha256Hash ?? null,
    status: response.status,
  });
  return response;
};
const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const client = new ApolloClient({
  link: createPersistedQueryLink({ sha256 }).concat(new HttpLink({ uri, fetch: recordingFetch })),
  cache: new InMemoryCache(),
});
const { data } = await client.query({ query: gql(query), fetchPolicy: 'no-cache' });
console.log(JSON.stringify({ data, requests }));
