import { aws_logs as logs } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { DeploySettingsError } from "../packages/functions/src/flow-spec";
import { removalPolicyFor, retainsData } from "./stage-policy";

/** The retentions CloudWatch Logs accepts (RetentionInDays). */
const ALLOWED = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** LOG_RETENTION_DAYS from the deploying shell; 30 days by default, a year for stages that keep their data. */
export function logRetentionDays(stage: string, env: Record<string, string | undefined>): number {
  const value = env.LOG_RETENTION_DAYS?.trim();
  if (!value) return retainsData(stage) ? 365 : 30;
  const days = Number(value);
  if (!ALLOWED.includes(days)) {
    throw new DeploySettingsError(
      `LOG_RETENTION_DAYS must be one of CloudWatch's retentions (${ALLOWED.join(", ")}), got ${value}`,
    );
  }
  return days;
}

/**
 * A function's own log group, with the stage's retention (Lambda's default group never expires).
 * Named by CDK, not by us: a retained group with a fixed name would stop the next deploy of the
 * stage after `sst remove` ("already exists").
 */
export function functionLogGroup(scope: Construct, id: string, stage: string): logs.LogGroup {
  return new logs.LogGroup(scope, `${id}Logs`, {
    retention: logRetentionDays(stage, process.env) as logs.RetentionDays,
    removalPolicy: removalPolicyFor(stage),
  });
}
