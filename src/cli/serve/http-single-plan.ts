/**
 * `serve --listen` in front of one upstream (`--upstream-cmd` / `--upstream-url`): grants from
 * `--grants` (static tokens, OAuth) or one grant for every request with `--policy`; each grant's
 * sessions share a connection, a session that does not share gets one of its own (for a child,
 * from a pool kept one ahead).
 */
import { readFileSync } from "node:fs";
import type { Clock } from "../../core/clock.js";
import { messageOf } from "../../core/errors.js";
import { ActivityHub } from "../../gateway/console/activity-hub.js";
import { formatGrantsIssues, GrantTable, loadGrantsText } from "../../gateway/grants.js";
import type { AuthOutcome } from "../../gateway/http/http-front.js";
import { UpstreamPool } from "../../gateway/http/upstream-pool.js";
import { SharedUpstreams } from "../../gateway/http/upstream-sharing.js";
import { Authenticator } from "../../gateway/identity/authenticator.js";
import { protectedResource, type ProtectedResource } from "../../gateway/identity/protected-resource.js";
import { TokenVerifier } from "../../gateway/identity/token-verifier.js";
import type { Logger } from "../../gateway/logger.js";
import { PolicyTable } from "../../gateway/policy-source.js";
import { DEFAULT_READINESS_TIMEOUT_MS, type ReadinessCheck } from "../../gateway/readiness.js";
import type { WatchedPolicyFile } from "../../gateway/reload.js";
import type { Transport } from "../../protocol/transport.js";
import type { ChildProcessTransport } from "../../transports/stdio-transport.js";
import type { CommandIo } from "../args.js";
import type { HttpPlan } from "./http-plan.js";
import type { ServeConfig } from "./serve-config.js";
import { bearerGrants, oneGrant, openUpstream, readPolicy, upstreamLabel } from "./serve-shared.js";

/** The plan, or the exit code after saying on stderr why there is none. */
export function singleServerPlan(config: ServeConfig, io: CommandIo, clock: Clock, logger: Logger): HttpPlan | number {
  // Grants: token digest → grant id and policy; without --grants one grant for every request.
  const policies = new PolicyTable();
  const sources: WatchedPolicyFile[] = [];
  let authenticate: (authorization: string | undefined) => AuthOutcome | Promise<AuthOutcome>;
  let resource: ProtectedResource | undefined;
  if (config.grantsFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(config.grantsFile, "utf8");
    } catch (error) {
      io.stderr.write(`${config.grantsFile}: (root): cannot read the grants file: ${messageOf(error)}\n`);
      return 1;
    }
    const loaded = loadGrantsText(text, config.grantsFile, config.policyFile);
    if (!loaded.ok) {
      io.stderr.write(`${formatGrantsIssues(loaded.issues)}\n`);
      return 1;
    }
    // Static grants by grant id; claim grants by their policy's key (`claims:<file>`).
    const keyed = [...loaded.value.map((g) => ({ key: g.id, file: g.policyFile, policy: g.policy })), ...(loaded.identity?.rules ?? []).map((r) => ({ key: r.policyKey, file: r.policyFile, policy: r.policy }))];
    for (const k of keyed) {
      if (policies.get(k.key) !== undefined) continue;
      policies.set(k.key, k.policy);
      const source = sources.find((s) => s.file === k.file);
      if (source) (source.grantIds as string[]).push(k.key);
      else sources.push({ file: k.file, grantIds: [k.key], version: k.policy.version });
    }
    const table = new GrantTable(loaded.value);
    const bearer = bearerGrants(table, config, io);
    if (typeof bearer === "number") return bearer;
    const identity = loaded.identity;
    if (identity === undefined) authenticate = bearer;
    else {
      for (const [i, issuer] of identity.oauth.issuers.entries()) {
        const name = issuer.introspection?.clientSecretEnv;
        if (name !== undefined && !io.env[name]) {
          io.stderr.write(`${config.grantsFile}: oauth.issuers[${i}].introspection.clientSecretEnv: the introspection client secret of \`${issuer.issuer}\` is not set; expected it in the environment variable \`${name}\`\n`);
          return 1;
        }
      }
      const verifier = new TokenVerifier({ oauth: identity.oauth, clock, env: io.env, log: logger.line });
      const authenticator = new Authenticator({ table, identity, verifier, log: logger.line });
      authenticate = (authorization) => authenticator.authenticate(authorization);
      resource = protectedResource(identity.oauth, identity.rules.flatMap((r) => r.entry.match.scope ?? []));
    }
  } else {
    const policy = readPolicy(config.policyFile!, io);
    if (!policy) return 1;
    policies.set(config.grantId, policy);
    sources.push({ file: config.policyFile!, grantIds: [config.grantId], version: policy.version });
    authenticate = oneGrant(config.grantId);
  }

  // A connection of its own for a session that does not share: for a child, from a pool kept one
  // ahead, made when the first such session comes (never with `--upstream-sharing shared`).
  let pool: UpstreamPool | undefined;
  const makePool = (): UpstreamPool => new UpstreamPool({ open: () => openUpstream(config, io), alive: (t) => (t as ChildProcessTransport).exitStatus === undefined, size: 1 });
  if (config.upstream.kind === "cmd" && config.upstreamSharing === "per-session") pool = makePool();
  const ownUpstream = (): Transport => {
    if (config.upstream.kind !== "cmd") return openUpstream(config, io);
    pool ??= makePool();
    return pool.take();
  };
  const shared = new SharedUpstreams({ open: () => openUpstream(config, io), log: logger.line });
  return {
    policies,
    sources,
    apply: (grantIds, next) => {
      for (const id of grantIds) policies.set(id, next);
    },
    authenticate,
    ...(resource ? { protectedResource: resource } : {}),
    hasGrants: config.grantsFile !== undefined,
    upstreamFor: (grantId, shares) => (shares ? shared.laneFor(grantId) : ownUpstream()),
    bridgeEras: true,
    // A child kept ahead (per-session, or once a non-sharing session came) must be alive; a
    // shared connection is started on demand, so there is nothing to check before it.
    upstreamCheck: config.upstream.kind === "cmd" ? async () => pool?.notReady() : upstreamUrlCheck(config, clock),
    hub: new ActivityHub(),
    console: { sources },
    label: upstreamLabel(config),
    close: async () => {
      await pool?.close();
      await shared.closeAll();
    },
  };
}

/** `--upstream-url`: ready when the URL answers HTTP at all (any status; a refused or hung connection is not). */
function upstreamUrlCheck(config: ServeConfig, clock: Clock): ReadinessCheck {
  return async () => {
    if (config.upstream.kind !== "url") return undefined;
    const url = config.upstream.url;
    const abort = new AbortController();
    const timer = clock.setTimer(() => abort.abort(), DEFAULT_READINESS_TIMEOUT_MS);
    try {
      const res = await fetch(url, { method: "GET", headers: { accept: "application/json, text/event-stream", ...config.upstreamHeaders }, signal: abort.signal });
      await res.body?.cancel();
      return undefined;
    } catch (error) {
      return `the upstream at ${url.origin} does not answer: ${messageOf((error as { cause?: unknown }).cause ?? error)}`;
    } finally {
      timer.cancel();
    }
  };
}
