import { ArnFormat, Stack as CdkStack, type aws_iam as iam, type aws_s3 as s3 } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { skippedAlertMarkers } from "../packages/core/src/failure-alert";
import { DeploySettingsError, type FlowSpec } from "../packages/functions/src/flow-spec";
import { ALERT_ON_SKIPPED_ENV } from "../packages/functions/src/skipped-report";
import {
  ACTIONS_ENV,
  encodeTaskActions,
  FLOW_ENV,
  type TaskAction,
} from "../packages/functions/src/task-actions";
import { objectAccess } from "./bucket-grants";
import { alertEmailProvider, operationsSettings } from "./operations-settings";
import { sesSendGrant } from "./ses-identity";

/**
 * Skipped actions on AWS (issue #18): every Task Lambda that performs one of its flow's actions
 * knows which (LEADRELAY_FLOW, LEADRELAY_ACTIONS) and logs an `ActionsSkipped` embedded metric when
 * it skips one. With LEADRELAY_ALERT_ON_SKIPPED=true it also alerts, itself (no other Lambda), on
 * the failure alerts' channels: the Slack webhook and ALERT_EMAIL_TO. Only then does it get what
 * that needs, and only that: SLACK_WEBHOOK_URL, the email vendor's secret or SES identities, and
 * its flow's alert markers (`flows/<flow>/skipped-alerts/*`).
 */

/** The failure alerts' channels as a skipping Task uses them; undefined: alerts off. */
export interface SkippedAlertChannels {
  email?: {
    to: string;
    provider: "brevo" | "ses";
    from?: string;
    brevoBaseUrl?: string;
    brevoKeySet: boolean;
  };
}

/** LEADRELAY_ALERT_ON_SKIPPED from the deploying environment (true or false, any case; unset: false). */
export function skippedAlertChannels(
  env: Record<string, string | undefined>,
  secretsSet: ReadonlySet<string>,
): SkippedAlertChannels | undefined {
  const value = env[ALERT_ON_SKIPPED_ENV]?.trim().toLowerCase();
  if (!value || value === "false") return undefined;
  if (value !== "true") {
    throw new DeploySettingsError(
      `${ALERT_ON_SKIPPED_ENV} must be true or false, got ${JSON.stringify(env[ALERT_ON_SKIPPED_ENV])}`,
    );
  }
  const settings = operationsSettings(env);
  if (!settings.alertEmailTo) return {};
  const brevoKeySet = secretsSet.has("BREVO_API_KEY");
  return {
    email: {
      to: settings.alertEmailTo,
      provider: alertEmailProvider(settings, brevoKeySet),
      ...(settings.emailFrom ? { from: settings.emailFrom } : {}),
      ...(settings.brevoBaseUrl ? { brevoBaseUrl: settings.brevoBaseUrl } : {}),
      brevoKeySet,
    },
  };
}

export interface TaskReporting {
  environment: Record<string, string>;
  permissions: iam.PolicyStatement[];
  secrets: string[];
}

/** What one Task Lambda gets to report its skipped actions (nothing when it performs none). */
export function skipReporting(
  scope: Construct,
  options: {
    flow: Pick<FlowSpec, "id">;
    actions: readonly TaskAction[];
    stateMachineName: string;
    bucket: s3.IBucket;
    alerts?: SkippedAlertChannels;
  },
): TaskReporting {
  const reporting: TaskReporting = { environment: {}, permissions: [], secrets: [] };
  if (options.actions.length === 0) return reporting;
  reporting.environment[FLOW_ENV] = options.flow.id;
  reporting.environment[ACTIONS_ENV] = encodeTaskActions(options.actions);
  const alerts = options.alerts;
  if (!alerts) return reporting;

  const stack = CdkStack.of(scope);
  // Built from the fixed name, not the state machine's own ARN: the machine depends on this function.
  const machineArn = stack.formatArn({
    service: "states",
    resource: "stateMachine",
    resourceName: options.stateMachineName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  Object.assign(reporting.environment, {
    [ALERT_ON_SKIPPED_ENV]: "true",
    LEADRELAY_ALERT_LINK: `https://${stack.region}.console.aws.amazon.com/states/home?region=${stack.region}#/v2/statemachines/view/${machineArn}`,
    BUCKET_NAME: options.bucket.bucketName,
  });
  // atMostOnce: create the marker, read it when it exists, remove it when a send definitely failed.
  reporting.permissions.push(
    objectAccess(
      options.bucket,
      ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      `${skippedAlertMarkers(options.flow.id)}*`,
    ),
  );
  reporting.secrets.push("SLACK_WEBHOOK_URL");
  const email = alerts.email;
  if (email) {
    reporting.environment.ALERT_EMAIL_TO = email.to;
    reporting.environment.EMAIL_PROVIDER = email.provider;
    if (email.from) reporting.environment.EMAIL_FROM = email.from;
    if (email.provider === "brevo" && email.brevoBaseUrl)
      reporting.environment.BREVO_BASE_URL = email.brevoBaseUrl;
    if (email.provider === "brevo" && email.brevoKeySet) reporting.secrets.push("BREVO_API_KEY");
    // The sender's own identities only; without EMAIL_FROM the Task skips the email and says so.
    if (email.provider === "ses" && email.from) reporting.permissions.push(sesSendGrant(scope, email.from));
  }
  return reporting;
}
