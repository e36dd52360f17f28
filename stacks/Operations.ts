import { type StackContext, use } from "sst/constructs";
import { Api } from "./Api";
import { Flows } from "./Flows";
import { failureAlerts } from "./failure-alerts";
import {
  alarmTopic,
  apiServerErrorAlarm,
  deadLetterAlarm,
  flowAlarms,
  startExecutionThrottledAlarm,
} from "./flow-alarms";
import { deployContext } from "./flow-settings";
import { operationsDashboard } from "./operations-dashboard";
import { alertEmailProvider, operationsSettings } from "./operations-settings";
import { Storage } from "./Storage";
import { checkSecrets, ssmReader } from "./secrets-check";
import { warnSesSenders } from "./ses-warning";
import { budgetAlarms, budgetDeadLetterQueueName, stageBudgetAlarms } from "./vendor-budgets";

/**
 * Operations of every flow the stage runs (issue #14): the failure alert (one EventBridge rule
 * into one Lambda, Slack and ALERT_EMAIL_TO), the CloudWatch alarms of every state machine into
 * the stage's alarm topic, and one dashboard. It loops over the stage's FlowMachines, so a flow
 * added to the registry is covered without a change here.
 */
export async function Operations({ app, stack }: StackContext) {
  const { bucket } = use(Storage);
  const { machines: byFlow } = use(Flows);
  const { api } = use(Api);
  // Each flow by its fixed names, never an import from Flows (#22 finding 1).
  const machines = Object.values(byFlow).map((machine) => machine.viewFrom(stack));
  const settings = operationsSettings(process.env);
  const context = deployContext(app.stage, app.mode);
  // The alert posts to Slack on every stage; BREVO_API_KEY is bound only when the stage has it.
  const needs = {
    required: new Set(["SLACK_WEBHOOK_URL"]),
    optional: new Set(["BREVO_API_KEY"]),
    afterDeploy: new Map<string, string>(),
  };
  const secretsSet = context.offline
    ? new Set([...needs.required, ...needs.optional])
    : await checkSecrets({ app: app.name, stage: app.stage }, needs, ssmReader(app.region));

  if (!context.offline && settings.alertEmailTo && settings.emailFrom) {
    const provider = alertEmailProvider(settings, secretsSet.has("BREVO_API_KEY"));
    if (provider === "ses") {
      await warnSesSenders(app.region, [{ who: "alerts/NotifyFailure", from: settings.emailFrom }]);
    }
  }

  const topic = alarmTopic(stack, app.stage, settings.alertEmailTo);
  const target = { topic, name: (suffix: string) => app.logicalPrefixedName(suffix) };

  const alerts = failureAlerts(stack, { machines, bucket, settings, secretsSet });
  const alarms = [
    ...machines.flatMap((machine) => flowAlarms(stack, machine, target)),
    startExecutionThrottledAlarm(stack, target),
    apiServerErrorAlarm(stack, api.cdk.httpApi, target),
    ...Object.values(byFlow).flatMap((machine) => budgetAlarms(stack, machine, target)),
    ...stageBudgetAlarms(stack, Object.values(byFlow), target, app.stage, budgetDeadLetterQueueName(app)),
    deadLetterAlarm(stack, alerts.deadLetters.metricApproximateNumberOfMessagesVisible(), target),
  ];

  const dashboardName = app.logicalPrefixedName("operations");
  operationsDashboard(stack, {
    dashboardName,
    stage: app.stage,
    machines,
    api: api.cdk.httpApi,
    // Only this stack's own Lambda. A flow's task Lambdas and the sources' ingest Lambdas show in the
    // account-wide sums, the API's widgets and each execution: naming them here would import their
    // names from Flows or Api, and a source that goes with a flow (HubSpot with triage) would then
    // block that flow's removal (#22 finding 1).
    functions: {
      "alerts/NotifyFailure": alerts.notify,
    },
    alarms,
  });

  stack.addOutputs({
    AlarmTopicArn: topic.topicArn,
    DashboardUrl: `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}#dashboards/dashboard/${dashboardName}`,
  });
  return { topic, alerts, alarms };
}
