/**
 * Tool arguments checked against the upstream tool's `inputSchema` with ajv, each distinct schema
 * compiled once. Messages read like ajv's own (`data must have required property 'entity_id'`).
 * The schema's `$schema` picks the dialect: 2020-12 and 2019-09 have their own ajv classes,
 * everything else is validated as draft-07.
 */
import { createRequire } from "node:module";
import type { Ajv, ValidateFunction } from "ajv";
import type { Ajv2019 } from "ajv/dist/2019.js";
import type { Ajv2020 } from "ajv/dist/2020.js";
import type addFormatsModule from "ajv-formats";
import type { JsonObject } from "../protocol/messages.js";
import { messageOf } from "../core/errors.js";

interface AjvModules {
  readonly Ajv: typeof Ajv;
  readonly Ajv2019: typeof Ajv2019;
  readonly Ajv2020: typeof Ajv2020;
  readonly addFormats: typeof addFormatsModule.default;
}

let ajvModules: AjvModules | undefined;

/**
 * ajv is loaded on the first schema compile, not at start-up (it costs tens of milliseconds to
 * load, and a gateway whose upstream lists no schemas never needs it). It is CommonJS, so a
 * synchronous `require` keeps `validate` synchronous.
 */
function loadAjv(): AjvModules {
  if (ajvModules) return ajvModules;
  const require = createRequire(import.meta.url);
  const formats = require("ajv-formats") as { default: typeof addFormatsModule.default };
  ajvModules = {
    Ajv: (require("ajv") as { Ajv: typeof Ajv }).Ajv,
    Ajv2019: (require("ajv/dist/2019.js") as { Ajv2019: typeof Ajv2019 }).Ajv2019,
    Ajv2020: (require("ajv/dist/2020.js") as { Ajv2020: typeof Ajv2020 }).Ajv2020,
    addFormats: formats.default,
  };
  return ajvModules;
}

/** Compiled schemas kept; when exceeded the cache starts over (upstreams list few tools). */
const MAX_CACHED_SCHEMAS = 2_000;

type Dialect = "draft-07" | "2019-09" | "2020-12";

export class ArgumentValidator {
  private readonly engines = new Map<Dialect, Ajv>();
  private readonly compiled = new Map<string, ValidateFunction | string>();
  /** By schema object: the upstream tools cache hands out the same object for every call. */
  private readonly bySchema = new WeakMap<JsonObject, ValidateFunction | string>();

  /**
   * Problems with `args` against `schema`, one message per problem; empty when valid. A schema
   * that does not compile yields one message saying so (the call is then not forwarded).
   */
  validate(schema: JsonObject, args: JsonObject): string[] {
    const validator = this.compile(schema);
    if (typeof validator === "string") return [validator];
    if (validator(args)) return [];
    return (validator.errors ?? []).map((e) => `data${e.instancePath} ${e.message ?? "is invalid"}`);
  }

  private compile(schema: JsonObject): ValidateFunction | string {
    const known = this.bySchema.get(schema);
    if (known !== undefined) return known;
    const result = this.compileByText(schema);
    this.bySchema.set(schema, result);
    return result;
  }

  private compileByText(schema: JsonObject): ValidateFunction | string {
    const key = JSON.stringify(schema);
    const cached = this.compiled.get(key);
    if (cached !== undefined) return cached;
    if (this.compiled.size >= MAX_CACHED_SCHEMAS) this.compiled.clear();
    let result: ValidateFunction | string;
    try {
      result = this.engine(dialectOf(schema)).compile(schema);
    } catch (error) {
      result = `the upstream's inputSchema does not compile: ${messageOf(error)}`;
    }
    this.compiled.set(key, result);
    return result;
  }

  private engine(dialect: Dialect): Ajv {
    let engine = this.engines.get(dialect);
    if (!engine) {
      const options = { allErrors: true, strict: false, addUsedSchema: false, validateSchema: false } as const;
      const { Ajv, Ajv2019, Ajv2020, addFormats } = loadAjv();
      engine = dialect === "2020-12" ? new Ajv2020(options) : dialect === "2019-09" ? new Ajv2019(options) : new Ajv(options);
      addFormats(engine);
      this.engines.set(dialect, engine);
    }
    return engine;
  }
}

function dialectOf(schema: JsonObject): Dialect {
  const uri = typeof schema.$schema === "string" ? schema.$schema : "";
  if (uri.includes("2020-12")) return "2020-12";
  if (uri.includes("2019-09")) return "2019-09";
  return "draft-07";
}
