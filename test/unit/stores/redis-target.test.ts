import { expect, test } from "vitest";
import { hashTag, redactUrl } from "../../../src/stores/redis/connection.js";
import { describeTarget, parseRedisTarget, type RedisTarget } from "../../../src/stores/redis/redis-target.js";

const ok = (text: string): unknown => {
  const parsed = parseRedisTarget(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.target;
};
const message = (text: string): string => {
  const parsed = parseRedisTarget(text);
  if (parsed.ok) throw new Error(`\`${text}\` parsed`);
  return parsed.message;
};

test("a plain redis URL is one server and waits for no replica unless told", () => {
  expect(ok("redis://127.0.0.1:6379/0")).toEqual({ mode: "standalone", url: "redis://127.0.0.1:6379/0", wait: 0 });
  expect(ok("rediss://user:secret@cache.internal:6380")).toEqual({ mode: "standalone", url: "rediss://user:secret@cache.internal:6380", wait: 0 });
  expect(ok("redis://10.0.0.5:6380/2?wait=1")).toEqual({ mode: "standalone", url: "redis://10.0.0.5:6380/2", wait: 1 });
});

test("a cluster URL lists seed nodes and waits for one replica by default", () => {
  expect(ok("redis-cluster://10.0.0.1:7000,10.0.0.2:7001,[::1]:7002")).toEqual({
    mode: "cluster",
    nodes: [{ host: "10.0.0.1", port: 7000 }, { host: "10.0.0.2", port: 7001 }, { host: "::1", port: 7002 }],
    wait: 1,
  });
  expect(ok("redis-cluster://app:p%40ss@h1:7000?wait=0")).toEqual({ mode: "cluster", nodes: [{ host: "h1", port: 7000 }], username: "app", password: "p@ss", wait: 0 });
});

test("a Sentinel URL lists the Sentinels and names the master, with an optional database", () => {
  expect(ok("redis-sentinel://s1:26379,s2:26379,s3:26379/mymaster")).toEqual({
    mode: "sentinel",
    sentinels: [{ host: "s1", port: 26379 }, { host: "s2", port: 26379 }, { host: "s3", port: 26379 }],
    masterName: "mymaster",
    db: 0,
    wait: 1,
  });
  expect(ok("redis-sentinel://:secret@s1:26379/toolgate-main/3?wait=2")).toMatchObject({ masterName: "toolgate-main", db: 3, password: "secret", wait: 2 });
});

test("bad store URLs are refused with what was found and what was expected", () => {
  expect(message("postgres://db")).toBe(
    "expected `memory`, `redis://HOST:PORT/DB`, `redis-cluster://HOST:PORT,HOST:PORT` or `redis-sentinel://HOST:PORT,HOST:PORT/MASTER`, found the scheme `postgres://` in `postgres://db`",
  );
  expect(message("localhost:6379")).toMatch(/^expected `memory`, .* found `localhost:6379`$/);
  expect(message("redis://a:1,b:2/0")).toBe("`redis://a:1,b:2/0`: expected one HOST:PORT after `redis://`, found `a:1,b:2`");
  expect(message("redis://h:6379/zero")).toBe("`redis://h:6379/zero`: expected `/DB` (a database number) after the address, found `/zero`");
  expect(message("redis-cluster://")).toBe("`redis-cluster://`: expected at least one HOST:PORT, found none");
  expect(message("redis-cluster://h1:7000,h2")).toBe("`redis-cluster://h1:7000,h2`: expected HOST:PORT with a port from 1 to 65535, found `h2`");
  expect(message("redis-cluster://h1:70000")).toBe("`redis-cluster://h1:70000`: expected HOST:PORT with a port from 1 to 65535, found `h1:70000`");
  expect(message("redis-cluster://h1:7000/2")).toBe("`redis-cluster://h1:7000/2`: a cluster has no database number or path (cluster mode uses database 0), found `/2`");
  expect(message("redis-sentinel://s1:26379")).toBe(
    "`redis-sentinel://s1:26379`: expected `/MASTER` or `/MASTER/DB` after the Sentinel addresses (the name the Sentinels monitor), found `nothing`",
  );
  expect(message("redis-sentinel://s1:26379/my master")).toMatch(/found `\/my master`$/);
  expect(message("redis-cluster://h1:7000?wait=many")).toBe("`redis-cluster://h1:7000?wait=many`: option `wait`: expected a whole number of replicas from 0 to 16, found `many`");
  expect(message("redis-cluster://h1:7000?tls=1")).toBe("`redis-cluster://h1:7000?tls=1`: unknown option `tls`; expected `wait=N` (replicas that must acknowledge each write)");
});

test("passwords never reach a message or a log line", () => {
  expect(message("redis-cluster://u:hunter2@h1:7000/2")).not.toContain("hunter2");
  expect(message("redis-cluster://u:hunter2@h1:7000/2")).toContain("u:***@h1:7000");
  expect(redactUrl("redis-sentinel://:hunter2@s1:1,s2:2/m")).toBe("redis-sentinel://:***@s1:1,s2:2/m");
  expect(describeTarget(ok("redis-cluster://u:hunter2@h1:7000,h2:7001") as RedisTarget)).toBe("redis-cluster://h1:7000,h2:7001");
});

test("every counter and every approval key carries one hash tag per prefix; a prefix with braces is refused", () => {
  expect(hashTag("toolgate:", "counters", "redis counter store")).toBe("{toolgate:counters}");
  expect(() => hashTag("team{a}:", "counters", "redis counter store")).toThrow(
    "redis counter store: keyPrefix `team{a}:` contains `{` or `}`; expected a prefix without braces (the store adds its own Cluster hash tag)",
  );
});
