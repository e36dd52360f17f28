import { DescribeEventBusCommand, type EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { type CheckResult, result } from "./vendor-check";

/** The stage's EventBridge bus exists and these credentials may see it (`DescribeEventBus`). */
export async function checkEventBus(
  events: EventBridgeClient,
  config: { name: string },
): Promise<CheckResult> {
  const variables = ["EVENT_BUS_NAME"];
  try {
    const bus = await events.send(new DescribeEventBusCommand({ Name: config.name }));
    return result("events", "ok", `bus ${bus.Name ?? config.name}`, variables);
  } catch (error) {
    const name = (error as { name?: string })?.name ?? "Error";
    const message = ((error as { message?: string })?.message ?? "").slice(0, 200);
    return result(
      "events",
      "broken",
      `DescribeEventBus(${config.name}): ${name}${message ? `: ${message}` : ""}`,
      variables,
      name === "ResourceNotFoundException"
        ? "deploy the stage (its Storage stack creates the bus) or fix EVENT_BUS_NAME"
        : name === "AccessDeniedException"
          ? "the credentials need events:DescribeEventBus"
          : undefined,
    );
  }
}
