import { expect, test } from "vitest";
import { ArgumentValidator } from "../../../src/gateway/validate-args.js";

const schema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: { entity_id: { type: "integer" }, email: { type: "string", format: "email" } },
  required: ["entity_id"],
  additionalProperties: false,
};

test("valid arguments have no issues", () => {
  expect(new ArgumentValidator().validate(schema, { entity_id: 4 })).toEqual([]);
});

test("every problem is reported in ajv's words with its path", () => {
  expect(new ArgumentValidator().validate(schema, { email: "nope", extra: 1 })).toEqual([
    "data must have required property 'entity_id'",
    "data must NOT have additional properties",
    'data/email must match format "email"',
  ]);
});

test("2020-12 schemas are validated with the 2020-12 dialect", () => {
  const modern = { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object", prefixItems: [], properties: { n: { type: "number" } }, required: ["n"] };
  expect(new ArgumentValidator().validate(modern, {})).toEqual(["data must have required property 'n'"]);
});

test("a schema that does not compile yields one issue instead of letting the call through", () => {
  const issues = new ArgumentValidator().validate({ type: "object", properties: { a: { type: "no-such-type" } } }, { a: 1 });
  expect(issues).toHaveLength(1);
  expect(issues[0]).toMatch(/^the upstream's inputSchema does not compile: /);
});

test("schemas with the same $id from different tools do not clash", () => {
  const v = new ArgumentValidator();
  expect(v.validate({ $id: "https://example.com/args.json", type: "object", required: ["a"] }, {})).toEqual(["data must have required property 'a'"]);
  expect(v.validate({ $id: "https://example.com/args.json", type: "object", required: ["b"] }, {})).toEqual(["data must have required property 'b'"]);
});
