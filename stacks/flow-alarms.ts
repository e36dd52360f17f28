import {
  aws_cloudwatch_actions as actions,
  type aws_apigatewayv2 as apigw,
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from "aws-cdk-lib";
import type { Construct } from "constructs";
import { type FlowView, pascal } from "./FlowMachine";

/**
 * The stage's alarm topic: subscribe a pager or a chat integration to it; ALERT_EMAIL_TO, when
 * set, is subscribed (AWS emails it once to confirm).
 */
export function alarmTopic(scope: Construct, stage: string, alertEmailTo?: string): sns.Topic {
  // TLS only (cdk-nag AwsSolutions-SNS3): a policy denies publishing over plain HTTP.
  const topic = new sns.Topic(scope, "Alarms", {
    displayName: `leadrelay ${stage} alarms`,
    enforceSSL: true,
  });
  if (alertEmailTo) topic.addSubscription(new subscriptions.EmailSubscription(alertEmailTo));
  return topic;
}

/** Alarms look at five-minute sums: one bad execution in them is enough to tell someone. */
export const ALARM_PERIOD = Duration.minutes(5);

export interface AlarmTarget {
  topic: sns.ITopic;
  /** `<stage>-leadrelay-…`: alarm names are unique per account and region, so they carry the stage. */
  name(suffix: string): string;
}

function alarmOn(
  scope: Construct,
  id: string,
  target: AlarmTarget,
  props: { name: string; description: string; metric: cloudwatch.IMetric },
): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmName: target.name(props.name),
    alarmDescription: props.description,
    metric: props.metric,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    // No executions at all is the quiet normal, not a reason to alarm.
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new actions.SnsAction(target.topic));
  return alarm;
}

/**
 * The alarms every flow gets, whatever the flow (the stack loops over every flow, so a flow added
 * later has them too): executions that failed, timed out or were stopped (#22 finding 8), and state
 * transitions Step Functions throttled (`ExecutionThrottled`: StateEntered events and retries held
 * back by the account's transition rate; the execution goes on later). The alert Lambda says which
 * execution failed; the alarms also fire if an alert is lost.
 */
export function flowAlarms(scope: Construct, machine: FlowView, target: AlarmTarget): cloudwatch.Alarm[] {
  const id = pascal(machine.flow.id);
  const flow = machine.flow.id;
  const sum = { period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM };
  return [
    alarmOn(scope, `${id}ExecutionsFailed`, target, {
      name: `${flow}-executions-failed`,
      description: `${flow}: an execution failed in the last 5 minutes (see the failure alert and the execution's history).`,
      metric: machine.stateMachine.metricFailed(sum),
    }),
    alarmOn(scope, `${id}ExecutionsTimedOut`, target, {
      name: `${flow}-executions-timed-out`,
      description: `${flow}: an execution ran past its TimeoutSeconds in the last 5 minutes (see the failure alert).`,
      metric: machine.stateMachine.metricTimedOut(sum),
    }),
    alarmOn(scope, `${id}ExecutionsAborted`, target, {
      name: `${flow}-executions-aborted`,
      description: `${flow}: an execution was stopped (StopExecution) in the last 5 minutes: by whom, and was its lead handled?`,
      metric: machine.stateMachine.metricAborted(sum),
    }),
    alarmOn(scope, `${id}TransitionsThrottled`, target, {
      name: `${flow}-transitions-throttled`,
      description: `${flow}: Step Functions throttled state transitions in the last 5 minutes (the account's state transition rate); executions go on, slower.`,
      metric: machine.stateMachine.metricThrottled(sum),
    }),
  ];
}

/**
 * StartExecution refused for rate: `ThrottledEvents` with `APIName=StartExecution` (AWS/States "API
 * metrics", Step Functions developer guide). The ingest Lambdas answer 503 and the sender retries,
 * but someone should know. An API metric is per account and region, not per state machine: one
 * alarm per stage, and it also counts other stages' StartExecution calls in the same account.
 */
export function startExecutionThrottledAlarm(scope: Construct, target: AlarmTarget): cloudwatch.Alarm {
  return alarmOn(scope, "StartExecutionThrottled", target, {
    name: "start-execution-throttled",
    description:
      "Step Functions refused StartExecution for rate in the last 5 minutes (account and region wide): webhooks answered 503 and their senders retry.",
    metric: new cloudwatch.Metric({
      namespace: "AWS/States",
      metricName: "ThrottledEvents",
      dimensionsMap: { APIName: "StartExecution" },
      period: ALARM_PERIOD,
      statistic: cloudwatch.Stats.SUM,
    }),
  });
}

/** The webhook API answered 5xx (an ingest Lambda failed, or answered 503 for a refused start). */
export function apiServerErrorAlarm(scope: Construct, api: apigw.IHttpApi, target: AlarmTarget) {
  return alarmOn(scope, "WebhookServerErrors", target, {
    name: "webhook-5xx",
    description:
      "The webhook API answered 5xx in the last 5 minutes: see the ingest Lambdas' logs (senders retry, but a lasting error loses leads).",
    metric: api.metricServerError({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM }),
  });
}

/** Alert deliveries that failed for good wait in the dead-letter queue: someone must look. */
export function deadLetterAlarm(scope: Construct, metric: cloudwatch.IMetric, target: AlarmTarget) {
  return alarmOn(scope, "AlertsUndelivered", target, {
    name: "failure-alerts-undelivered",
    description: "A failure alert could not be delivered: it waits in the alert dead-letter queue.",
    metric,
  });
}
