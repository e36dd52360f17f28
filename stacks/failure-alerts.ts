import {
  Duration,
  aws_events as events,
  aws_events_targets as eventTargets,
  type aws_iam as iam,
  RemovalPolicy,
  type aws_s3 as s3,
  aws_sqs as sqs,
} from "aws-cdk-lib";
import { type Config, Function as SstFunction, type Stack } from "sst/constructs";
import { NOTIFY_FAILURE_HANDLER } from "../packages/functions/src/alerts/alert-function";
import {
  STATUS_CHANGE_DETAIL_TYPE,
  STATUS_CHANGE_SOURCE,
} from "../packages/functions/src/alerts/status-change-event";
import { objectAccess } from "./bucket-grants";
import type { FlowView } from "./FlowMachine";
import { functionLogGroup } from "./log-retention";
import { acceptFunctionFindings } from "./nag";
import { alertEmailProvider, type OperationsSettings } from "./operations-settings";
import { secretOf } from "./secrets";
import { sesSendGrant } from "./ses-identity";

/** Every alert marker, whatever the execution and channel (`alertMarkerKey`; a test holds them to it). */
export const ALERT_MARKERS = "alerts/*.json";

export interface FailureAlertsProps {
  machines: readonly FlowView[];
  bucket: s3.IBucket;
  settings: OperationsSettings;
  /** The optional secrets set for the stage (BREVO_API_KEY is bound only when it is). */
  secretsSet: ReadonlySet<string>;
}

/**
 * SST allows one `Config.Secret` per name in the whole app: the one a flow's stack made (announce
 * binds SLACK_WEBHOOK_URL), or a new one here when no flow of the stage binds it.
 */
function appSecret(stack: Stack, name: string): Config.Secret {
  // Recognised by the metadata SST itself reads (its own unique-id check), not by class identity.
  const isSecret = (construct: unknown): construct is Config.Secret =>
    (construct as { getConstructMetadata?: () => { type?: string } }).getConstructMetadata?.().type ===
      "Secret" && (construct as { name?: string }).name === name;
  return stack.node.root.node.findAll().find(isSecret) ?? secretOf(stack, name);
}

/**
 * One EventBridge rule for the bad ends (FAILED, TIMED_OUT, ABORTED) of exactly the stage's state
 * machines, into the alert Lambda. Step Functions delivers these events best effort and EventBridge
 * at least once, so: EventBridge retries delivery for hours, Lambda retries a failed invocation
 * twice, whatever is still undelivered waits in a dead-letter queue (14 days, alarmed by the
 * stack), and the Lambda's markers make a repeated event harmless. The Lambda may write its own
 * markers and send email only when ALERT_EMAIL_TO is set.
 */
export function failureAlerts(stack: Stack, props: FailureAlertsProps) {
  const { settings, bucket } = props;
  const deadLetters = new sqs.Queue(stack, "AlertDeadLetters", {
    retentionPeriod: Duration.days(14),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    // Undelivered alerts are not the stage's data: they go with the stage (14 days at most anyway).
    removalPolicy: RemovalPolicy.DESTROY,
  });

  const email = settings.alertEmailTo
    ? alertEmailProvider(settings, props.secretsSet.has("BREVO_API_KEY"))
    : undefined;
  const environment: Record<string, string> = {
    BUCKET_NAME: bucket.bucketName,
    ALERT_FLOWS: props.machines
      .map((machine) => `${machine.flow.id}=${machine.stateMachine.stateMachineArn}`)
      .join(","),
  };
  if (settings.alertEmailTo && email) {
    environment.ALERT_EMAIL_TO = settings.alertEmailTo;
    environment.EMAIL_PROVIDER = email;
    if (settings.emailFrom) environment.EMAIL_FROM = settings.emailFrom;
    if (email === "brevo" && settings.brevoBaseUrl) environment.BREVO_BASE_URL = settings.brevoBaseUrl;
  }
  const permissions: iam.PolicyStatement[] = [
    // atMostOnce: create the marker, read it when it exists, remove it when a send definitely failed.
    objectAccess(bucket, ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], ALERT_MARKERS),
  ];
  // The sender's own identities only; without EMAIL_FROM the Lambda skips the email and says so.
  if (email === "ses" && settings.emailFrom) permissions.push(sesSendGrant(stack, settings.emailFrom));
  const notify = new SstFunction(stack, "NotifyFailure", {
    handler: NOTIFY_FAILURE_HANDLER,
    logGroup: functionLogGroup(stack, "NotifyFailure", stack.stage),
    environment,
    bind: [
      appSecret(stack, "SLACK_WEBHOOK_URL"),
      ...(email === "brevo" && props.secretsSet.has("BREVO_API_KEY")
        ? [appSecret(stack, "BREVO_API_KEY")]
        : []),
    ],
    permissions,
    retryAttempts: 2,
    deadLetterQueue: deadLetters,
  });

  acceptFunctionFindings(notify);

  const rule = new events.Rule(stack, "ExecutionFailures", {
    description: "A flow's execution failed, timed out or was stopped: alert Slack (and ALERT_EMAIL_TO).",
    eventPattern: {
      source: [STATUS_CHANGE_SOURCE],
      detailType: [STATUS_CHANGE_DETAIL_TYPE],
      detail: {
        status: ["FAILED", "TIMED_OUT", "ABORTED"],
        stateMachineArn: props.machines.map((machine) => machine.stateMachine.stateMachineArn),
      },
    },
    targets: [
      new eventTargets.LambdaFunction(notify, {
        deadLetterQueue: deadLetters,
        retryAttempts: 20,
        maxEventAge: Duration.hours(12),
      }),
    ],
  });

  return { notify, rule, deadLetters };
}
