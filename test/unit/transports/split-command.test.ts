import { expect, test } from "vitest";
import { splitCommand } from "../../../src/transports/split-command.js";

test("words split on blanks, quotes group, backslashes escape", () => {
  expect(splitCommand(`node  server.js --name "two words" 'single $quoted' a\\ b ""`)).toEqual(["node", "server.js", "--name", "two words", "single $quoted", "a b", ""]);
  expect(splitCommand(`say "a \\"quoted\\" word"`)).toEqual(["say", 'a "quoted" word']);
  expect(splitCommand("   ")).toEqual([]);
});

test("an unterminated quote is an error that names the line", () => {
  expect(() => splitCommand(`node "oops`)).toThrow('unterminated double quote in `node "oops`');
});
