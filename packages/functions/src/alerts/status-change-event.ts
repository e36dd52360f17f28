import * as z from "zod/mini";

/**
 * EventBridge's "Step Functions Execution Status Change" event (source `aws.states`): its `detail`
 * carries what DescribeExecution answers. Only what an alert reads is checked; error, cause and the
 * redrive fields are null or absent when Step Functions has none (a timeout, an execution that was
 * never redriven), and the local runtime sends the same shape.
 */
export const STATUS_CHANGE_DETAIL_TYPE = "Step Functions Execution Status Change";
export const STATUS_CHANGE_SOURCE = "aws.states";

export const ExecutionStatusChange = z.object({
  "detail-type": z.literal(STATUS_CHANGE_DETAIL_TYPE),
  source: z.literal(STATUS_CHANGE_SOURCE),
  detail: z.object({
    executionArn: z.string().check(z.startsWith("arn:")),
    stateMachineArn: z.string().check(z.startsWith("arn:")),
    name: z.string().check(z.minLength(1)),
    status: z.string(),
    error: z.nullish(z.string()),
    cause: z.nullish(z.string()),
    redriveCount: z.nullish(z.number()),
  }),
});
export type ExecutionStatusChange = z.infer<typeof ExecutionStatusChange>;
