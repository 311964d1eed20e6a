/** The part of `oidc-provider` (8.x ships no types) that the test identity provider uses. */
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  export interface ProviderClient {
    readonly clientId: string;
  }

  export interface ProviderConfiguration {
    readonly clients?: readonly Record<string, unknown>[];
    readonly jwks?: { readonly keys: readonly unknown[] };
    readonly cookies?: { readonly keys: readonly string[] };
    readonly clientDefaults?: Record<string, unknown>;
    readonly scopes?: readonly string[];
    readonly ttl?: Record<string, number>;
    readonly findAccount?: (ctx: unknown, sub: string) => { accountId: string; claims: () => Record<string, unknown> };
    readonly extraTokenClaims?: (ctx: unknown, token: { accountId?: string }) => Record<string, unknown> | undefined;
    readonly features?: {
      readonly clientCredentials?: { readonly enabled: boolean };
      readonly introspection?: { readonly enabled: boolean; readonly allowedPolicy?: (...args: unknown[]) => boolean };
      readonly devInteractions?: { readonly enabled: boolean };
      readonly resourceIndicators?: {
        readonly enabled: boolean;
        readonly defaultResource?: (ctx: unknown) => string;
        readonly useGrantedResource?: (ctx: unknown) => boolean;
        readonly getResourceServerInfo?: (ctx: unknown, indicator: string, client: ProviderClient) => Record<string, unknown>;
      };
    };
  }

  export default class Provider {
    constructor(issuer: string, configuration: ProviderConfiguration);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }

  export const errors: { InvalidTarget: new () => Error };
}
