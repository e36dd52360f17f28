import {
  type aws_apigatewayv2 as apigw,
  aws_cloudwatch as cloudwatch,
  Duration,
  type aws_lambda as lambda,
} from "aws-cdk-lib";
import type { Construct } from "constructs";
import { ACTIONS_SKIPPED_METRIC, METRICS_NAMESPACE } from "../packages/functions/src/skipped-report";
import type { FlowView } from "./FlowMachine";

const PERIOD = Duration.minutes(5);
const sum = { period: PERIOD, statistic: cloudwatch.Stats.SUM };

/**
 * Lambda's sum over every function of the account and region (AWS/Lambda without a dimension): it
 * covers the flows' task Lambdas, which this stack does not name (they live in Flows, and an
 * import of their names would block taking a flow out, #22 finding 1).
 */
const accountWide = (metricName: string) =>
  new cloudwatch.Metric({
    namespace: "AWS/Lambda",
    metricName,
    ...sum,
    label: "every function of the account and region (the flows' tasks among them)",
  });

export interface DashboardProps {
  dashboardName: string;
  /** The stage: the ActionsSkipped metrics carry it as a dimension. */
  stage: string;
  machines: readonly FlowView[];
  api: apigw.IHttpApi;
  /** The Lambdas of the stage outside Flows (ingest, alerts), by the name the dashboard shows. */
  functions: Record<string, lambda.IFunction>;
  alarms: cloudwatch.IAlarm[];
}

/**
 * One dashboard per stage: each flow's executions (started, succeeded, failed, timed out, aborted),
 * the webhook API's answers and latency, Lambda errors and throttles (each ingest and alert Lambda,
 * and the account's sum), and the alarms.
 */
export function operationsDashboard(scope: Construct, props: DashboardProps): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(scope, "Dashboard", {
    dashboardName: props.dashboardName,
    defaultInterval: Duration.hours(24),
  });
  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms: props.alarms, width: 24, height: 4 }),
  );
  dashboard.addWidgets(
    ...props.machines.map(
      (machine) =>
        new cloudwatch.GraphWidget({
          title: `${machine.flow.id}: executions`,
          width: 8,
          left: [
            machine.stateMachine.metricStarted({ ...sum, label: "started" }),
            machine.stateMachine.metricSucceeded({ ...sum, label: "succeeded" }),
            machine.stateMachine.metricFailed({ ...sum, label: "failed" }),
            machine.stateMachine.metricTimedOut({ ...sum, label: "timed out" }),
            machine.stateMachine.metricAborted({ ...sum, label: "aborted" }),
          ],
        }),
    ),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: "Webhook API: answers",
      width: 12,
      left: [
        props.api.metricCount({ ...sum, label: "requests" }),
        props.api.metricClientError({ ...sum, label: "4xx" }),
        props.api.metricServerError({ ...sum, label: "5xx" }),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: "Webhook API: latency (ms)",
      width: 12,
      left: [
        props.api.metricLatency({ period: PERIOD, statistic: cloudwatch.Stats.p(50), label: "p50" }),
        props.api.metricLatency({ period: PERIOD, statistic: cloudwatch.Stats.p(99), label: "p99" }),
      ],
    }),
  );
  // What each flow's Tasks skipped (a credential or setting missing): the metric they log themselves.
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: "Actions skipped (a credential or setting missing; see each execution)",
      width: 24,
      left: props.machines.map(
        (machine) =>
          new cloudwatch.Metric({
            namespace: METRICS_NAMESPACE,
            metricName: ACTIONS_SKIPPED_METRIC,
            dimensionsMap: { Stage: props.stage, Flow: machine.flow.id },
            ...sum,
            label: machine.flow.id,
          }),
      ),
    }),
  );
  const functions = Object.entries(props.functions);
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: "Lambda errors",
      width: 12,
      left: [
        ...functions.map(([name, fn]) => fn.metricErrors({ ...sum, label: name })),
        accountWide("Errors"),
      ],
    }),
    new cloudwatch.GraphWidget({
      title: "Lambda throttles",
      width: 12,
      left: [
        ...functions.map(([name, fn]) => fn.metricThrottles({ ...sum, label: name })),
        accountWide("Throttles"),
      ],
    }),
  );
  return dashboard;
}
