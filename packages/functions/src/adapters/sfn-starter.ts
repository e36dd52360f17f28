import {
  ExecutionAlreadyExists,
  SFNClient,
  type SFNClientConfig,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import type { ExecutionStarter } from "@leadrelay/core";
import type { AwsClientConfig } from "../aws-clients";

export function createSfnClient(config: SFNClientConfig | AwsClientConfig = {}): SFNClient {
  return new SFNClient(config as SFNClientConfig);
}

export function createSfnStarter(sfn: SFNClient, stateMachineArn: string): ExecutionStarter {
  return {
    async start(name, input) {
      try {
        const out = await sfn.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
        );
        return { status: "started", executionArn: out.executionArn ?? "" };
      } catch (error) {
        // Same name after the execution ended (or with another input): Close sent this lead before.
        if (error instanceof ExecutionAlreadyExists || (error as Error).name === "ExecutionAlreadyExists") {
          return { status: "duplicate" };
        }
        throw error;
      }
    },
  };
}
