import { Config, type Stack } from "sst/constructs";

const made = new WeakMap<Stack, Map<string, Config.Secret>>();

/** One `Config.Secret` per name and stack, however many functions of however many flows bind it. */
export function secretOf(stack: Stack, name: string): Config.Secret {
  let secrets = made.get(stack);
  if (!secrets) {
    secrets = new Map();
    made.set(stack, secrets);
  }
  let secret = secrets.get(name);
  if (!secret) {
    secret = new Config.Secret(stack, name);
    secrets.set(name, secret);
  }
  return secret;
}
