import { GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import { AWS_REQUEST_TIMEOUTS } from "./aws-clients";
import type { ParameterStore } from "./sst-secrets";

/**
 * SSM's GetParameters through the AWS SDK. Its own module, imported only where a secret is bound,
 * so a function without secrets never loads the SSM client.
 */
export function ssmParameterStore(region: string | undefined): ParameterStore {
  const client = new SSMClient({ region, requestHandler: { ...AWS_REQUEST_TIMEOUTS } });
  return {
    async getParameters(names) {
      const answer = await client.send(new GetParametersCommand({ Names: names, WithDecryption: true }));
      const values: Record<string, string> = {};
      for (const parameter of answer.Parameters ?? []) {
        if (parameter.Name !== undefined && parameter.Value !== undefined)
          values[parameter.Name] = parameter.Value;
      }
      return { values, invalid: answer.InvalidParameters ?? [] };
    },
  };
}
