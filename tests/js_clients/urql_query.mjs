// urql's client sending queries as GET when the URL is short enough (`preferGetMethod`, as
// urql suggests for HTTP caching), running one query:  node urql_query.mjs URL QUERY
// Prints one JSON line: {"data", "error", "requests": [{"method", "status"}]}.
import { Client, fetchExchange, gql } from '@urql/core';

const [url, query] = process.argv.slice(2);
const requests = [];
const recordingFetch = async (input, options) => {
  const response = await fetch(input, options);
  requests.push({ method: options?.method ?? 'GET', status: response.status });
  return response;
};
const client = new Client({
  url, exchanges: [fetchExchange], fetch: recordingFetch, preferGetMethod: 'within-url-limit',
});
const result = await client.query(gql(query), {}).toPromise();
console.log(JSON.stringify({
  data: result.data ?? null, error: result.error?.message ?? null, requests,
}));
