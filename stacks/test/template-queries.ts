export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  [section: string]: unknown;
}

export interface Statement {
  /** Where the statement lives, for messages. */
  source: string;
  effect: string;
  actions: string[];
  resources: string[];
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** CDK logical ids end in an 8-hex hash; the construct path before it reads better in assertions. */
export const friendly = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, "");

/**
 * The templates of all stacks as one app: resources by logical id, CloudFormation values rendered
 * as readable strings (`<Leads.Arn>/crm_event_*.json`), exports followed across stacks.
 */
export class AppTemplates {
  readonly stacks: Array<{ name: string; json: CfnTemplate }>;
  private readonly exports = new Map<string, unknown>();

  constructor(templates: Record<string, CfnTemplate>) {
    this.stacks = Object.entries(templates).map(([name, json]) => ({ name, json }));
    for (const { json } of this.stacks) {
      for (const output of Object.values(json.Outputs ?? {})) {
        if (output.Export) this.exports.set(String(output.Export.Name), output.Value);
      }
    }
  }

  resources(type?: string): Array<{ stack: string; id: string; resource: CfnResource }> {
    return this.stacks.flatMap(({ name, json }) =>
      Object.entries(json.Resources ?? {})
        .filter(([, resource]) => type === undefined || resource.Type === type)
        .map(([id, resource]) => ({ stack: name, id, resource })),
    );
  }

  render(value: unknown): string {
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    if (value !== null && typeof value === "object") {
      const [key, arg] = Object.entries(value)[0] ?? [];
      if (key === "Ref") {
        if (arg === "AWS::Partition") return "aws";
        // A stack's id is an ARN ending in an id CloudFormation makes when it creates the stack.
        if (arg === "AWS::StackId")
          return "arn:aws:cloudformation:us-east-1:my-account:stack/<stack-name>/<stack-uuid>";
        return `<${friendly(String(arg))}>`;
      }
      if (key === "Fn::GetAtt") {
        const [id, attribute] = arg as [string, string];
        return `<${friendly(id)}.${attribute}>`;
      }
      if (key === "Fn::Join") {
        const [separator, parts] = arg as [string, unknown[]];
        return parts.map((part) => this.render(part)).join(separator);
      }
      if (key === "Fn::Select") {
        const [index, list] = arg as [number, unknown];
        const split = (list as { "Fn::Split"?: [string, unknown] })["Fn::Split"];
        if (!split) throw new Error(`Cannot render ${JSON.stringify(value)}`);
        const part = this.render(split[1]).split(split[0])[Number(index)];
        if (part === undefined) throw new Error(`Cannot render ${JSON.stringify(value)}`);
        return part;
      }
      if (key === "Fn::Sub") return String(arg).replace(/\$\{AWS::Partition\}/g, "aws");
      if (key === "Fn::ImportValue") {
        const exported = this.exports.get(String(arg));
        if (exported === undefined) throw new Error(`No stack exports ${String(arg)}`);
        return this.render(exported);
      }
    }
    throw new Error(`Cannot render ${JSON.stringify(value)}`);
  }

  private statementsOf(source: string, document: unknown): Statement[] {
    const statements = asArray((document as { Statement?: unknown[] }).Statement) as Array<
      Record<string, unknown>
    >;
    return statements.map((statement) => ({
      source,
      effect: String(statement.Effect),
      actions: asArray(statement.Action as string | string[]),
      resources: asArray(statement.Resource).map((resource) => this.render(resource)),
    }));
  }

  /** Every IAM statement in the app: role policies, inline role policies, bucket policies. */
  allStatements(): Statement[] {
    return this.stacks.flatMap(({ name, json }) =>
      Object.entries(json.Resources ?? {}).flatMap(([id, { Type, Properties = {} }]) => {
        const source = `${name}/${id}`;
        if (
          Type === "AWS::IAM::Policy" ||
          Type === "AWS::IAM::ManagedPolicy" ||
          Type === "AWS::S3::BucketPolicy"
        ) {
          return this.statementsOf(source, Properties.PolicyDocument);
        }
        if (Type === "AWS::IAM::Role") {
          const inline = asArray(Properties.Policies as Array<{ PolicyDocument: unknown }> | undefined);
          return inline.flatMap((policy) => this.statementsOf(source, policy.PolicyDocument));
        }
        return [];
      }),
    );
  }

  /** The statements and managed policies of one role, found by its logical id. */
  roleAccess(roleId: string): { statements: Statement[]; managedPolicies: string[] } {
    const holder = this.stacks.find(({ json }) => json.Resources?.[roleId]?.Type === "AWS::IAM::Role");
    if (!holder) throw new Error(`No role ${roleId}`);
    const resources = holder.json.Resources ?? {};
    const role = resources[roleId]?.Properties ?? {};
    const attached = Object.entries(resources).filter(
      ([, { Type, Properties = {} }]) =>
        Type === "AWS::IAM::Policy" &&
        asArray(Properties.Roles as unknown[]).some((ref) => (ref as { Ref?: string }).Ref === roleId),
    );
    return {
      statements: [
        ...attached.flatMap(([id, { Properties = {} }]) => this.statementsOf(id, Properties.PolicyDocument)),
        ...asArray(role.Policies as Array<{ PolicyDocument: unknown }> | undefined).flatMap((policy) =>
          this.statementsOf(roleId, policy.PolicyDocument),
        ),
      ],
      managedPolicies: asArray(role.ManagedPolicyArns as unknown[]).map((arn) => this.render(arn)),
    };
  }

  /** One resource by logical id, in whichever stack holds it. */
  resource(logicalId: string): { stack: string; resource: CfnResource } {
    for (const { name, json } of this.stacks) {
      const resource = json.Resources?.[logicalId];
      if (resource) return { stack: name, resource };
    }
    throw new Error(`No resource ${logicalId}`);
  }

  /** What a Lambda (by logical id) may do: the statements and managed policies of its role. */
  functionAccess(functionId: string): { statements: Statement[]; managedPolicies: string[] } {
    const role = referencedId(this.resource(functionId).resource.Properties?.Role);
    if (!role) throw new Error(`${functionId} has no role of this app`);
    return this.roleAccess(role);
  }

  /** A Lambda's environment variables, each value rendered. */
  environmentOf(functionId: string): Record<string, string> {
    const environment = this.resource(functionId).resource.Properties?.Environment as
      | { Variables?: Record<string, unknown> }
      | undefined;
    return Object.fromEntries(
      Object.entries(environment?.Variables ?? {}).map(([name, value]) => [name, this.render(value)]),
    );
  }
}

/** The logical id that `{ Ref: id }` or `{ "Fn::GetAtt": [id, attribute] }` names. */
export function referencedId(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const { Ref: ref, "Fn::GetAtt": getAtt } = value as { Ref?: unknown; "Fn::GetAtt"?: unknown };
  if (typeof ref === "string") return ref;
  if (Array.isArray(getAtt) && typeof getAtt[0] === "string") return getAtt[0];
  return undefined;
}

/** Allow statements as "action resource" lines: easy to compare as a whole set. */
export function grants(statements: Statement[]): string[] {
  return statements
    .filter((statement) => statement.effect === "Allow")
    .flatMap((statement) =>
      statement.actions.flatMap((action) => statement.resources.map((r) => `${action} ${r}`)),
    )
    .sort();
}

/** The one item of a list that must have exactly one. */
export function single<T>(items: T[], what: string): T {
  if (items.length !== 1 || items[0] === undefined)
    throw new Error(`Expected one ${what}, found ${items.length}`);
  return items[0];
}

/** CloudWatch Logs for a function itself (AWS managed: logs:CreateLogGroup/CreateLogStream/PutLogEvents). */
export const BASIC_EXECUTION_ROLE = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

/** What binding an SST secret grants, as `grants()` lines: its SSM parameter for the stage and the fallback. */
export const secretGrants = (name: string, stage = "test") => [
  `ssm:GetParameters arn:aws:ssm:us-east-1:my-account:parameter/sst/leadrelay/.fallback/Secret/${name}/value`,
  `ssm:GetParameters arn:aws:ssm:us-east-1:my-account:parameter/sst/leadrelay/${stage}/Secret/${name}/value`,
];
