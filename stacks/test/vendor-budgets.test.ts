import { describe, expect, it } from "vitest";
import { FLOWS } from "../../packages/flows/registry";
import { VENDOR_QUOTA_STOPPED_METRIC } from "../../packages/functions/src/budget-consumer";
import { BUDGET_DELIVERY_FAILED_METRIC } from "../../packages/functions/src/budget-dead-letters";
import {
  BUDGET_CALLBACK_RESOURCE,
  BUDGET_MAX_DELIVERIES,
  BUDGET_TASK_TIMEOUT_SECONDS,
  configuredDefinition,
} from "../../packages/functions/src/flow-spec";
import { allStates, budgetedTaskPlaceholder } from "../../packages/functions/src/state-machine";
import { applicableBudgets, budgetedCalls } from "../../packages/functions/src/vendor-budget";
import { STUCK_QUEUE_SECONDS } from "../vendor-budgets";
import { synthesized } from "./synth";
import { AppTemplates, friendly, grants, referencedId } from "./template-queries";

/**
 * Vendor budgets in the offline synth of the test stage: there the vendors' base URLs are unset,
 * so Close, HubSpot, Zendesk and Brevo get their documented default budgets and every Task calling
 * them is a callback Task on a queue of its own, consumed by its own Lambda.
 */

const synth = await synthesized();
const app = new AppTemplates(synth.test);

/** Every budgeted Task of every flow, as the stacks rewrite them with the test stage's settings. */
const budgeted = FLOWS.flatMap((flow) => {
  const definition = configuredDefinition(flow, synth.settings[flow.id] ?? {});
  return allStates(definition).flatMap(({ name, state }) => {
    const placeholder = budgetedTaskPlaceholder(state);
    const task = placeholder ? flow.tasks[placeholder] : undefined;
    return task ? [{ flow, state: name, definitionState: state, task }] : [];
  });
});

const queues = app.resources("AWS::SQS::Queue").filter(({ id }) => id.includes("BudgetQueue"));
/** The stage's one budget dead-letter queue. */
const deadLetters = app.resources("AWS::SQS::Queue").filter(({ id }) => id.includes("BudgetDeadLetterQueue"));
const mappings = app.resources("AWS::Lambda::EventSourceMapping");
const alarms = app.resources("AWS::CloudWatch::Alarm").map(({ resource }) => resource.Properties ?? {});
/** An alarm's dimensions as one object, keys sorted. */
const dimensionsOf = (alarm: Record<string, unknown>) =>
  Object.fromEntries(
    ((alarm.Dimensions ?? []) as Array<{ Name: string; Value: unknown }>)
      .map(({ Name, Value }) => [Name, Value] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
const queueOf = (flowId: string, taskId: string) => {
  const pascal = flowId.replace(/(^|-)([a-z])/g, (_m, _d, letter: string) => letter.toUpperCase());
  const found = queues.find(({ id }) => id.startsWith(`${pascal}Budgets${taskId}BudgetQueue`));
  if (!found)
    throw new Error(`no budget queue for ${flowId}/${taskId}: ${queues.map(({ id }) => id).join(", ")}`);
  return found;
};

describe("vendor budgets on AWS", () => {
  it("with the vendors' own hosts, every Task calling Close, HubSpot, Zendesk or Brevo waits for its budget", () => {
    const budgets = applicableBudgets({});
    const expected = FLOWS.flatMap((flow) =>
      Object.values(flow.tasks)
        .filter((task) => Object.keys(budgetedCalls(task.calls, budgets)).length > 0)
        .map((task) => `${flow.id}/${task.id}`),
    );
    const actual = [...new Set(budgeted.map(({ flow, task }) => `${flow.id}/${task.id}`))];
    // Announce's email Task is in the definition only with ANNOUNCE_EMAIL_TO.
    expect(actual.sort()).toEqual(expected.filter((id) => id !== "announce/EmailAnnouncement").sort());
    expect(actual).toEqual(
      expect.arrayContaining(["triage/FetchLead", "triage/RecordOutcome", "linkedin-replies/AddNote"]),
    );
  });

  it("each is a callback Task with TimeoutSeconds, on its own queue, keeping its Retry and Catch", () => {
    for (const { flow, state, definitionState } of budgeted) {
      expect(definitionState.Resource, `${flow.id}/${state}`).toBe(BUDGET_CALLBACK_RESOURCE);
      expect(definitionState.TimeoutSeconds).toBe(BUDGET_TASK_TIMEOUT_SECONDS);
      expect(definitionState.Retry?.length).toBeGreaterThan(0);
      expect(definitionState.Catch?.length).toBeGreaterThan(0);
    }
    const machines = app.resources("AWS::StepFunctions::StateMachine");
    for (const { flow, task } of budgeted) {
      const machine = machines.find(
        ({ resource }) => resource.Properties?.StateMachineName === `test-leadrelay-${flow.id}`,
      );
      const substitutions = machine?.resource.Properties?.DefinitionSubstitutions as Record<string, unknown>;
      const placeholder = Object.entries(flow.tasks).find(([, candidate]) => candidate === task)?.[0];
      expect(referencedId(substitutions[`${placeholder}BudgetQueue`])).toBe(queueOf(flow.id, task.id).id);
    }
  });

  it("each queue: encrypted, the stage's one dead-letter queue, visibility ≥ 6× the Lambda's timeout, kept longer than a Task waits", () => {
    expect(queues).toHaveLength(new Set(budgeted.map(({ flow, task }) => `${flow.id}/${task.id}`)).size);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.resource.Properties).toMatchObject({
      QueueName: "test-leadrelay-budget-dead-letters",
      SqsManagedSseEnabled: true,
    });
    for (const { id, resource } of queues) {
      const props = resource.Properties ?? {};
      expect(props.SqsManagedSseEnabled, id).toBe(true);
      expect(Number(props.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * 20);
      expect(Number(props.MessageRetentionPeriod)).toBeGreaterThan(BUDGET_TASK_TIMEOUT_SECONDS);
      const redrive = props.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number };
      expect(deadLetters.map((queue) => queue.id)).toContain(referencedId(redrive.deadLetterTargetArn));
      expect(redrive.maxReceiveCount).toBe(BUDGET_MAX_DELIVERIES);
    }
  });

  it("each queue feeds its own Task's Lambda: batch size 1, partial batch responses, a maximum concurrency", () => {
    for (const { flow, task } of budgeted) {
      const queue = queueOf(flow.id, task.id);
      const mapping = mappings.find(
        ({ resource }) => referencedId(resource.Properties?.EventSourceArn) === queue.id,
      );
      expect(mapping, `${flow.id}/${task.id}`).toBeDefined();
      const props = mapping?.resource.Properties ?? {};
      expect(props.BatchSize).toBe(1);
      expect(props.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
      const concurrency = (props.ScalingConfig as { MaximumConcurrency: number }).MaximumConcurrency;
      expect(concurrency).toBeGreaterThanOrEqual(2);
      expect(concurrency).toBeLessThanOrEqual(1000);
      const fn = referencedId(props.FunctionName) ?? "";
      expect(friendly(fn)).toContain(task.id);
      const environment = app.environmentOf(fn);
      expect(JSON.parse(environment.BUDGET_CALLS ?? "{}")).toEqual(
        budgetedCalls(task.calls, applicableBudgets({})),
      );
      expect(environment.BUDGET_QUEUE_URL).toBe(`<${friendly(queue.id)}>`);
    }
  });

  it("least privilege: the state machine sends to its own Tasks' queues; a consumer re-sends to its own queue, reads and writes the budget table, answers its own machine's tokens", () => {
    const table = app.resources("AWS::DynamoDB::Table");
    expect(table).toHaveLength(1);
    const tableArn = `<${friendly(table[0]?.id ?? "")}.Arn>`;
    for (const { flow, task } of budgeted) {
      const queue = queueOf(flow.id, task.id);
      const mapping = mappings.find(
        ({ resource }) => referencedId(resource.Properties?.EventSourceArn) === queue.id,
      );
      const fn = referencedId(mapping?.resource.Properties?.FunctionName) ?? "";
      const lines = grants(app.functionAccess(fn).statements);
      const queueArn = `<${friendly(queue.id)}.Arn>`;
      expect(lines).toEqual(
        expect.arrayContaining([
          `sqs:SendMessage ${queueArn}`,
          `dynamodb:GetItem ${tableArn}`,
          `dynamodb:PutItem ${tableArn}`,
          `states:SendTaskSuccess arn:aws:states:us-east-1:my-account:stateMachine:test-leadrelay-${flow.id}`,
          `states:SendTaskFailure arn:aws:states:us-east-1:my-account:stateMachine:test-leadrelay-${flow.id}`,
          `states:SendTaskHeartbeat arn:aws:states:us-east-1:my-account:stateMachine:test-leadrelay-${flow.id}`,
        ]),
      );
      // Nothing broader: no wildcard on SQS, DynamoDB or Step Functions.
      expect(lines.filter((line) => /^(sqs|dynamodb|states):\S+ \*$/.test(line))).toEqual([]);
      expect(lines.filter((line) => line.startsWith("sqs:SendMessage"))).toEqual([
        `sqs:SendMessage ${queueArn}`,
      ]);
    }
    const sends = grants(app.allStatements()).filter((line) => line.startsWith("sqs:SendMessage"));
    for (const { flow, task } of budgeted) {
      expect(sends).toContain(`sqs:SendMessage <${friendly(queueOf(flow.id, task.id).id)}.Arn>`);
    }
  });

  it("alarms: a queue whose oldest message waited half a callback Task's timeout, and a dead letter left unanswered", () => {
    // By the queue's literal name: Operations alarms on it without importing anything from Flows.
    for (const { id, resource } of queues) {
      const name = String((resource.Properties as { QueueName?: unknown }).QueueName);
      expect(name, id).toMatch(/^test-leadrelay-[a-z-]+-[A-Za-z]+$/);
      const onQueue = alarms.filter((alarm) => JSON.stringify(alarm.Dimensions ?? []).includes(`"${name}"`));
      expect(
        onQueue.map((alarm) => alarm.MetricName),
        id,
      ).toContain("ApproximateAgeOfOldestMessage");
      expect(onQueue.find((alarm) => alarm.MetricName === "ApproximateAgeOfOldestMessage")?.Threshold).toBe(
        STUCK_QUEUE_SECONDS,
      );
    }
    const unanswered = alarms.filter(
      (alarm) =>
        alarm.MetricName === "ApproximateNumberOfMessagesVisible" &&
        JSON.stringify(alarm.Dimensions ?? []).includes('"test-leadrelay-budget-dead-letters"'),
    );
    expect(unanswered).toHaveLength(1);
    expect(unanswered[0]?.AlarmActions).toHaveLength(1);
  });

  it("a dead letter fails its Task at once: one Lambda consumes the stage's budget dead-letter queue and may only SendTaskFailure on those flows' machines", () => {
    const consumers = new Set(
      deadLetters.map(({ id }) => {
        const mapping = mappings.find(
          ({ resource }) => referencedId(resource.Properties?.EventSourceArn) === id,
        );
        expect(mapping, `${id} has a consumer`).toBeDefined();
        expect(mapping?.resource.Properties?.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
        return referencedId(mapping?.resource.Properties?.FunctionName) ?? "";
      }),
    );
    expect(consumers.size).toBe(1);
    const [consumer] = [...consumers];
    expect(friendly(consumer ?? "")).toContain("BudgetDeadLetters");
    // Not any Task's own Lambda: a Task whose code fails to start must not be its own dead-letter consumer.
    for (const { resource } of mappings) {
      const target = referencedId(resource.Properties?.FunctionName);
      const source = referencedId(resource.Properties?.EventSourceArn) ?? "";
      if (target === consumer) expect(deadLetters.map(({ id }) => id)).toContain(source);
    }
    const lines = grants(app.functionAccess(consumer ?? "").statements);
    const flows = [...new Set(budgeted.map(({ flow }) => flow.id))].sort();
    expect(lines.filter((line) => line.startsWith("states:")).sort()).toEqual(
      flows.map(
        (flow) =>
          `states:SendTaskFailure arn:aws:states:us-east-1:my-account:stateMachine:test-leadrelay-${flow}`,
      ),
    );
    // SQS only on the dead-letter queues (the event source's receive and delete), nothing else.
    const deadLetterArns = deadLetters.map(({ id }) => `<${friendly(id)}.Arn>`);
    for (const line of lines.filter((line) => line.startsWith("sqs:"))) {
      expect(deadLetterArns, line).toContain(line.split(" ")[1]);
      expect(line).not.toMatch(/^sqs:SendMessage/);
    }
    expect(lines.filter((line) => /^(dynamodb|s3|lambda):/.test(line))).toEqual([]);
    // Visible again only after the consumer's timeout, many times over (Lambda wants ≥ 6×).
    for (const { id, resource } of deadLetters) {
      expect(Number(resource.Properties?.VisibilityTimeout), id).toBeGreaterThanOrEqual(6 * 20);
    }
  });

  it("alarms per stage: any dead letter (the BudgetDeliveryFailed metric by stage), and a quota stop of every budgeted vendor", () => {
    const delivery = alarms.filter((alarm) => alarm.MetricName === BUDGET_DELIVERY_FAILED_METRIC);
    expect(delivery).toHaveLength(1);
    expect(delivery[0]).toMatchObject({ Namespace: "leadrelay", Threshold: 1, Statistic: "Sum" });
    expect(dimensionsOf(delivery[0] ?? {})).toEqual({ Stage: "test" });
    expect(delivery[0]?.AlarmActions).toHaveLength(1);
    const vendors = [
      ...new Set(
        budgeted.flatMap(({ task }) => Object.keys(budgetedCalls(task.calls, applicableBudgets({})))),
      ),
    ].sort();
    expect(vendors).toEqual(expect.arrayContaining(["close", "hubspot"]));
    const quota = alarms.filter((alarm) => alarm.MetricName === VENDOR_QUOTA_STOPPED_METRIC);
    expect(
      quota
        .map((alarm) => {
          expect(alarm).toMatchObject({ Namespace: "leadrelay", Threshold: 1, Statistic: "Sum" });
          expect(alarm.AlarmActions).toHaveLength(1);
          const { Stage, Vendor, ...others } = dimensionsOf(alarm);
          expect(Stage).toBe("test");
          expect(others).toEqual({});
          return Vendor;
        })
        .sort(),
    ).toEqual(vendors);
  });
});
