/**
 * Entry point of the bench's child processes (bundled to plain JavaScript by `bench-build.ts`, so no
 * loader sits in any measured process except toolgate's own bin): the simulated upstream, the bench
 * client, the evaluator and store micro-benches and the soak. A result is one line on stdout,
 * `BENCH-RESULT <json>`; diagnostics go to stderr.
 */
import { runClient, type ClientPlan } from "./bench-client.js";
import { runEvaluatorBench, type EvaluatorPlan } from "./evaluator-bench.js";
import { runSoak, type SoakPlan } from "./soak.js";
import { runStoreBench, type StorePlan } from "./store-bench.js";
import { serveBenchHttp, serveBenchStdio } from "./upstream-server.js";

export const RESULT_PREFIX = "BENCH-RESULT ";

async function main(argv: readonly string[]): Promise<void> {
  const [mode, arg] = argv;
  switch (mode) {
    case "upstream-stdio":
      return serveBenchStdio();
    case "upstream-http": {
      const server = await serveBenchHttp("127.0.0.1", Number(arg ?? 0));
      process.stdout.write(`listening ${server.url}\n`);
      const stop = (): void => void server.close().then(() => process.exit(0));
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
      return;
    }
    case "client":
      return emit(await runClient(JSON.parse(arg!) as ClientPlan));
    case "evaluator":
      return emit(runEvaluatorBench(JSON.parse(arg!) as EvaluatorPlan));
    case "stores":
      return emit(await runStoreBench(JSON.parse(arg!) as StorePlan));
    case "soak":
      return emit(await runSoak(JSON.parse(arg!) as SoakPlan));
    default:
      throw new Error(`bench worker: unknown mode \`${mode}\``);
  }
}

function emit(result: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

main(process.argv.slice(2)).then(
  () => {
    if (process.argv[2] !== "upstream-stdio" && process.argv[2] !== "upstream-http") process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`bench worker ${process.argv[2]}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
