/**
 * `toolgate serve --listen 127.0.0.1:0` as a child process for the HTTP integration tests: waits
 * (bounded) for the `listening` log line, hands back the URL, collects stderr, and always kills
 * the child (and through it the upstreams) in `stop()`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { REPO_ROOT, TOOLGATE_BIN } from "../fixtures/servers/gateway-process.js";

export interface HttpGateway {
  readonly url: string;
  readonly base: string;
  readonly child: ChildProcess;
  stderr(): string;
  readonly exit: Promise<number | null>;
  stop(): Promise<void>;
}

export async function startHttpGateway(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 20_000, port = 0): Promise<HttpGateway> {
  const child = spawn(process.execPath, [TOOLGATE_BIN, "serve", "--listen", `127.0.0.1:${port}`, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const exit = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exit;
      clearTimeout(killer);
    }
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`toolgate serve did not announce its URL within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      stderr += chunk;
      const m = /"event":"listening","url":"([^"]+)"/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`toolgate serve exited with code ${code} before listening; stderr:\n${stderr}`));
    });
  });
  return { url, base: url.replace(/\/mcp$/, ""), child, stderr: () => stderr, exit, stop };
}

/** Response headers of every POST, newest last, for checks the SDK does not surface. */
export interface SeenResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string | undefined;
}

/** An SDK 1.x client over Streamable HTTP with a bearer token; `seen` records each POST answer. */
export async function connectClient(
  url: string,
  token: string | undefined,
  options: { capabilities?: Record<string, unknown>; name?: string } = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport; seen: SeenResponse[] }> {
  const seen: SeenResponse[] = [];
  const recordingFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const response = await fetch(input, init);
    if (init?.method === "POST" && (response.headers.get("content-type") ?? "").includes("application/json")) {
      const body = await response.clone().text();
      seen.push({ status: response.status, headers: response.headers, body });
    } else if (init?.method === "POST") seen.push({ status: response.status, headers: response.headers, body: undefined });
    return response;
  };
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } },
    fetch: recordingFetch,
  });
  const client = new Client({ name: options.name ?? "http-test", version: "1.0.0" }, { capabilities: options.capabilities ?? {} });
  await client.connect(transport);
  return { client, transport, seen };
}
