import { createRequire } from "node:module";
import type { AslDefinition } from "../src/state-machine";

/** asl-validator (a root devDependency): the check CI runs on every flow's definition. */
interface AslValidation {
  isValid: boolean;
  errors: Array<{ "Error code": string; Message: string }>;
}
const aslValidator = createRequire(import.meta.url)("asl-validator") as (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => AslValidation;

/** Validates with ARN and path checks; it adds defaults (QueryLanguage) to what it validates, so it gets a copy. */
export function validateAsl(definition: AslDefinition): { isValid: boolean; errors: string[] } {
  const { isValid, errors } = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
  return { isValid, errors: errors.map((error) => `${error["Error code"]}: ${error.Message}`) };
}

/**
 * A Lambda ARN of the shape CloudFormation substitutes, per placeholder, and the queue URL of each
 * Task's budget queue (`${<placeholder>BudgetQueue}`, in the definition when its vendor has a budget).
 */
export function lambdaArns(flowId: string, placeholders: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    placeholders.flatMap((name) => [
      [name, `arn:aws:lambda:us-east-1:123456789012:function:test-leadrelay-${flowId}-${name}`],
      [
        `${name}BudgetQueue`,
        `https://sqs.us-east-1.amazonaws.com/123456789012/test-leadrelay-${flowId}-${name}`,
      ],
    ]),
  );
}
