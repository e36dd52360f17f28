/** Region of an ARN (`arn:aws:states:us-east-1:…`); undefined when it has none. */
export function regionOfArn(arn: string): string | undefined {
  const region = arn.split(":")[3];
  return region ? region : undefined;
}

const ARN = /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/;

/** The execution's page in the AWS Step Functions console (the operator signs in there as usual). */
export function executionConsoleUrl(
  executionArn: string,
  region = regionOfArn(executionArn),
): string | undefined {
  // Only characters that need no escaping in a URL fragment: the ARN goes in as AWS writes it.
  if (!ARN.test(executionArn) || !region || !/^[a-z0-9-]+$/.test(region)) return undefined;
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}
