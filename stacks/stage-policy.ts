import { RemovalPolicy } from "aws-cdk-lib";

/** Stages whose data outlives `sst remove`. */
export const RETAINED_STAGES: readonly string[] = ["prod"];

/** The stage the offline infra tests synthesize; it needs no deploy-time settings. */
export const TEST_STAGE = "test";

export const retainsData = (stage: string) => RETAINED_STAGES.includes(stage);

export const removalPolicyFor = (stage: string) =>
  retainsData(stage) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
