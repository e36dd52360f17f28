import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListFunctionsCommand,
  UpdateFunctionConfigurationCommand,
} from "@aws-sdk/client-lambda";
import { GetParametersCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { secretParameters } from "../../../stacks/secrets-check";

/**
 * A stage's SST v2 secrets, read and written the way `sst secrets set` does (integrations research
 * §15): SecureString parameters at `/sst/{app}/{stage}/Secret/{NAME}/value`, SST's fallback at
 * `/sst/{app}/.fallback/Secret/{NAME}/value` when the stage has none. After a write, every function
 * of the stage bound to the secret is "restarted" by touching `SST_ADMIN_SECRET_UPDATED_AT`, so its
 * next invocation loads the new value, as `sst secrets set` does.
 */

/** The slice of the SDK clients used here (tests pass fakes). */
export interface SendsCommands {
  send(command: unknown): Promise<unknown>;
}

export interface StageSecretsOptions {
  app: string;
  stage: string;
  ssm: SendsCommands;
  lambda?: SendsCommands;
}

export interface SecretRead {
  value?: string;
  from?: "stage" | "fallback";
}

/** SST binds a secret to a function as this variable (its value a placeholder resolved from SSM). */
const boundVariable = (name: string) => `SST_Secret_value_${name.replace(/-/g, "_")}`;
const UPDATED_AT = "SST_ADMIN_SECRET_UPDATED_AT";

export function stageSecrets(options: StageSecretsOptions) {
  const { app, stage, ssm } = options;
  return {
    /** Each name's value for the stage, else the fallback; names with neither are absent. */
    async read(names: readonly string[]): Promise<Record<string, SecretRead>> {
      const paths = names.flatMap((name) => secretParameters(app, stage, name));
      const found = new Map<string, string>();
      for (let i = 0; i < paths.length; i += 10) {
        const out = (await ssm.send(
          new GetParametersCommand({ Names: paths.slice(i, i + 10), WithDecryption: true }),
        )) as { Parameters?: Array<{ Name?: string; Value?: string }> };
        for (const parameter of out.Parameters ?? [])
          if (parameter.Name && parameter.Value !== undefined) found.set(parameter.Name, parameter.Value);
      }
      const result: Record<string, SecretRead> = {};
      for (const name of names) {
        const [own, fallback] = secretParameters(app, stage, name) as [string, string];
        if (found.has(own)) result[name] = { value: found.get(own), from: "stage" };
        else if (found.has(fallback)) result[name] = { value: found.get(fallback), from: "fallback" };
      }
      return result;
    },

    /** Writes the stage's value and restarts the stage's functions bound to it; answers the parameter and their names. */
    async set(name: string, value: string): Promise<{ parameter: string; restarted: string[] }> {
      const [parameter] = secretParameters(app, stage, name) as [string];
      await ssm.send(
        new PutParameterCommand({
          Name: parameter,
          Value: value,
          Type: "SecureString",
          Overwrite: true,
          Tier: value.length > 4096 ? "Advanced" : "Standard",
        }),
      );
      const restarted: string[] = [];
      if (!options.lambda) return { parameter, restarted };
      const lambda = options.lambda;
      let marker: string | undefined;
      do {
        const page = (await lambda.send(new ListFunctionsCommand({ Marker: marker }))) as {
          Functions?: Array<{ FunctionName?: string; Environment?: { Variables?: Record<string, string> } }>;
          NextMarker?: string;
        };
        for (const fn of page.Functions ?? []) {
          const variables = fn.Environment?.Variables ?? {};
          if (variables.SST_APP !== app || variables.SST_STAGE !== stage) continue;
          if (!(boundVariable(name) in variables) || !fn.FunctionName) continue;
          // Read again right before the write: the listing may be stale, and the write replaces every variable.
          const current = (await lambda.send(
            new GetFunctionConfigurationCommand({ FunctionName: fn.FunctionName }),
          )) as { Environment?: { Variables?: Record<string, string> } };
          await lambda.send(
            new UpdateFunctionConfigurationCommand({
              FunctionName: fn.FunctionName,
              Environment: {
                Variables: { ...(current.Environment?.Variables ?? {}), [UPDATED_AT]: String(Date.now()) },
              },
            }),
          );
          restarted.push(fn.FunctionName);
        }
        marker = page.NextMarker;
      } while (marker);
      return { parameter, restarted };
    },
  };
}

export type StageSecrets = ReturnType<typeof stageSecrets>;

/** The real clients in the stage's region, with your usual AWS credentials. */
export function awsStageSecrets(app: string, stage: string, region: string): StageSecrets {
  return stageSecrets({
    app,
    stage,
    ssm: new SSMClient({ region }),
    lambda: new LambdaClient({ region }),
  });
}
