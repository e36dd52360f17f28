/**
 * CloudWatch's embedded metric format (EMF): a JSON log line whose `_aws` member makes CloudWatch
 * Logs record a metric from it, with no PutMetricData call (no IAM, no latency, nothing to fail).
 * Spec: docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 * — `Timestamp` in epoch ms, `Dimensions` an array of dimension-key sets, each key and each metric
 * name a member of the same line. The logger writes the line as is (process.stdout, no prefix),
 * which is what the extraction needs. The stacks alarm on these metrics (stacks/vendor-budgets.ts).
 */

/** Every metric leadrelay emits lives here, each with the stage as a dimension (stages share an account). */
export const METRIC_NAMESPACE = "leadrelay";

/**
 * The fields to add to one log line so that it counts `value` of `metric` under these dimensions,
 * and also under each of `rollups` (subsets of the dimensions' keys: one alarm on a sum, e.g. by
 * stage alone, while the full set still says which queue).
 */
export function metricFields(
  metric: string,
  dimensions: Record<string, string>,
  now: number,
  options: { value?: number; rollups?: string[][] } = {},
): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [Object.keys(dimensions), ...(options.rollups ?? [])],
          Metrics: [{ Name: metric, Unit: "Count" }],
        },
      ],
    },
    ...dimensions,
    [metric]: options.value ?? 1,
  };
}

/** The stage a Lambda runs in (SST sets SST_STAGE on every function); "local" in the runtime. */
export const stageOf = (env: Record<string, string | undefined>) => env.SST_STAGE ?? "local";
