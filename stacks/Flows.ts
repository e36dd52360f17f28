import { ArnFormat } from "aws-cdk-lib";
import { type StackContext, use } from "sst/constructs";
import { FlowMachine, pascal } from "./FlowMachine";
import { deployContext, deployedFlows, settingsFor } from "./flow-settings";
import { Storage } from "./Storage";

/** Every flow this stage runs (LEADRELAY_FLOWS), each one generic FlowMachine. */
export function Flows({ app, stack }: StackContext) {
  const { bucket, eventBus } = use(Storage);
  const context = deployContext(app.stage, app.mode);
  const machines: Record<string, FlowMachine> = {};
  for (const flow of deployedFlows(app.stage, process.env)) {
    machines[flow.id] = new FlowMachine(stack, {
      flow,
      bucket,
      eventBus,
      settings: settingsFor(flow, process.env, context),
      stage: app.stage,
      stateMachineName: app.logicalPrefixedName(flow.id),
    });
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
  return { machines };
}
