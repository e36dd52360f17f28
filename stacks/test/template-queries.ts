import type { Template } from "aws-cdk-lib/assertions";

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
}
interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
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

/** CDK logical ids end in an 8-hex hash; the construct id before it reads better in assertions. */
const friendly = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, "");

/**
 * The templates of all stacks as one app: resources by logical id, CloudFormation values rendered
 * as readable strings (`<Leads.Arn>/crm_event_*.json`), exports followed across stacks.
 */
export class AppTemplates {
  readonly stacks: Array<{ name: string; json: CfnTemplate }>;
  private readonly exports = new Map<string, unknown>();

  constructor(templates: Record<string, Template>) {
    this.stacks = Object.entries(templates).map(([name, template]) => ({
      name,
      json: template.toJSON() as CfnTemplate,
    }));
    for (const { json } of this.stacks) {
      for (const output of Object.values(json.Outputs ?? {})) {
        if (output.Export) this.exports.set(output.Export.Name, output.Value);
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

  /** The Lambda whose handler is `packages/functions/src/<module>.handler`. */
  functionByModule(module: string): { id: string; properties: Record<string, unknown> } {
    const found = this.resources("AWS::Lambda::Function").filter(
      ({ resource }) => resource.Properties?.Handler === `packages/functions/src/${module}.handler`,
    );
    if (found.length !== 1 || !found[0])
      throw new Error(`Expected one Lambda for ${module}, found ${found.length}`);
    return { id: found[0].id, properties: found[0].resource.Properties ?? {} };
  }
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
