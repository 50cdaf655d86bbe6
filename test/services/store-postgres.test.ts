import pg from "pg";
import { afterAll } from "vitest";
import { createStore } from "../../src/store/index.ts";
import { runStoreContract } from "../contracts/store-contract.ts";
import { postgresUrl, uniqueSchema } from "./service-urls.ts";

const schemas: string[] = [];

runStoreContract("PostgreSQL", async () => {
  const schema = uniqueSchema("baton_test");
  schemas.push(schema);
  const url = new URL(postgresUrl);
  url.searchParams.set("schema", schema);
  return createStore(url.toString());
});

afterAll(async () => {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  for (const schema of schemas) await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});
