import {
  aws_cloudwatch_actions as actions,
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from "aws-cdk-lib";
import type { Construct } from "constructs";
import { type FlowMachine, pascal } from "./FlowMachine";

/**
 * The stage's alarm topic: subscribe a pager or a chat integration to it; ALERT_EMAIL_TO, when
 * set, is subscribed (AWS emails it once to confirm).
 */
export function alarmTopic(scope: Construct, stage: string, alertEmailTo?: string): sns.Topic {
  const topic = new sns.Topic(scope, "Alarms", { displayName: `leadrelay ${stage} alarms` });
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
 * The alarms every flow gets, whatever the flow (the stack loops over every FlowMachine, so a flow
 * added later has them too): executions that failed, and executions Step Functions throttled (a
 * StartExecution refused for rate: ingest answers 503 and the sender retries, but it should be
 * seen). The alert Lambda says which execution failed; the alarm also fires if an alert is lost.
 */
export function flowAlarms(scope: Construct, machine: FlowMachine, target: AlarmTarget): cloudwatch.Alarm[] {
  const id = pascal(machine.flow.id);
  const sum = { period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM };
  return [
    alarmOn(scope, `${id}ExecutionsFailed`, target, {
      name: `${machine.flow.id}-executions-failed`,
      description: `${machine.flow.id}: an execution failed in the last 5 minutes (see the failure alert and the execution's history).`,
      metric: machine.stateMachine.metricFailed(sum),
    }),
    alarmOn(scope, `${id}ExecutionThrottled`, target, {
      name: `${machine.flow.id}-executions-throttled`,
      description: `${machine.flow.id}: Step Functions throttled executions in the last 5 minutes.`,
      metric: machine.stateMachine.metricThrottled(sum),
    }),
  ];
}

/** Alert deliveries that failed for good wait in the dead-letter queue: someone must look. */
export function deadLetterAlarm(scope: Construct, metric: cloudwatch.IMetric, target: AlarmTarget) {
  return alarmOn(scope, "AlertsUndelivered", target, {
    name: "failure-alerts-undelivered",
    description: "A failure alert could not be delivered: it waits in the alert dead-letter queue.",
    metric,
  });
}
