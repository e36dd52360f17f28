import { ArnFormat } from "aws-cdk-lib";
import { type StackContext, use } from "sst/constructs";
import { FlowMachine, pascal } from "./FlowMachine";
import { deployContext, deployedFlows, settingsFor } from "./flow-settings";
import { Storage } from "./Storage";
import { afterDeployNotes, checkSecrets, secretNeeds, ssmReader } from "./secrets-check";
import { flowSesSenders, warnSesSenders } from "./ses-warning";
import { skippedAlertChannels } from "./skipped-alerts";
import { budgetDeadLetterQueueName, budgetDeadLetters, budgetSettings, budgetTable } from "./vendor-budgets";

/** Every flow this stage runs (LEADRELAY_FLOWS), each one generic FlowMachine. */
export async function Flows({ app, stack }: StackContext) {
  const { bucket, eventBus } = use(Storage);
  const context = deployContext(app.stage, app.mode);
  const flows = deployedFlows(app.stage, process.env);
  const needs = secretNeeds(flows, process.env);
  // LEADRELAY_ALERT_ON_SKIPPED=true: a skipping Task posts to the failure alerts' Slack webhook.
  if (skippedAlertChannels(process.env, new Set())) {
    needs.required.add("SLACK_WEBHOOK_URL");
    needs.optional.delete("SLACK_WEBHOOK_URL");
    if (!needs.required.has("BREVO_API_KEY")) needs.optional.add("BREVO_API_KEY");
  }
  // A real deploy reads which secrets the stage has (SSM): a required one missing stops it here,
  // an optional one missing is not bound (its action is skipped). Offline, every secret is bound.
  const secretsSet = context.offline
    ? new Set([...needs.required, ...needs.optional, ...needs.afterDeploy.keys()])
    : await checkSecrets({ app: app.name, stage: app.stage }, needs, ssmReader(app.region));
  // A webhook secret the vendor makes at registration may be unset on the first deploy: say what sets it.
  if (!context.offline) for (const note of afterDeployNotes(app.stage, needs, secretsSet)) console.warn(note);
  const skippedAlerts = skippedAlertChannels(process.env, secretsSet);
  const machines: Record<string, FlowMachine> = {};
  const table = budgetTable(stack);
  const deadLetters = budgetDeadLetters(stack, budgetDeadLetterQueueName(app));
  for (const flow of flows) {
    machines[flow.id] = new FlowMachine(stack, {
      flow,
      bucket,
      eventBus,
      settings: { ...settingsFor(flow, process.env, context), ...budgetSettings(process.env) },
      budgetTable: table,
      budgetDeadLetters: deadLetters,
      secretsSet,
      skippedAlerts,
      stage: app.stage,
      stateMachineName: app.logicalPrefixedName(flow.id),
    });
  }

  if (!context.offline) {
    // A warning, never a stop: the sender can be verified in SES after the deploy (#22 finding 7).
    await warnSesSenders(
      app.region,
      flowSesSenders(
        Object.values(machines).map((machine) => ({
          flow: machine.flow,
          settings: machine.settings,
          deployed: Object.keys(machine.functions),
        })),
        secretsSet.has("BREVO_API_KEY"),
      ),
    );
  }

  const consoleBase = `https://${stack.region}.console.aws.amazon.com/states/home?region=${stack.region}#/v2`;
  const outputs: Record<string, string> = { BucketName: bucket.bucketName };
  for (const [id, machine] of Object.entries(machines)) {
    const arn = machine.stateMachine.stateMachineArn;
    outputs[`StateMachineArn${pascal(id)}`] = arn;
    outputs[`ExecutionConsoleUrlTemplate${pascal(id)}`] =
      `${consoleBase}/executions/details/${stack.formatArn({
        service: "states",
        resource: "execution",
        resourceName: `${app.logicalPrefixedName(id)}:{name}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })}`;
  }
  const announce = machines.announce;
  if (announce) {
    // The names the console and the CLI read since before there were flows.
    outputs.StateMachineArn = announce.stateMachine.stateMachineArn;
    outputs.StateMachineConsoleUrl = `${consoleBase}/statemachines/view/${announce.stateMachine.stateMachineArn}`;
    outputs.ExecutionConsoleUrlTemplate = (outputs.ExecutionConsoleUrlTemplateAnnounce ?? "").replace(
      "{name}",
      "{leadId}",
    );
  }
  stack.addOutputs(outputs);
  // The exports Api and Operations imported before they built each ARN themselves (#22 finding 1),
  // kept under the names CDK gave them: the first deploy of this version updates Flows before those
  // stacks, while their deployed templates still import them. Nothing imports them afterwards, so a
  // flow taken out of LEADRELAY_FLOWS takes its own with it.
  for (const machine of Object.values(machines)) {
    stack.exportValue(machine.stateMachine.stateMachineArn);
    for (const fn of Object.values(machine.functions)) stack.exportValue(fn.functionName);
  }
  return { machines };
}
