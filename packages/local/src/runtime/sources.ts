import {
  type FlowSpec,
  type IngestEvent,
  type SourceSpec,
  stateMachineArnVariable,
  type TaskKit,
} from "@leadrelay/functions";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { sourcesOf } from "../../../flows/registry";
import { invokeThroughApiGateway } from "../api-gateway";
import { loadBuild } from "../flow-host";
import type { LocalStepFunctions } from "../local-step-functions";
import { LOCAL_BUCKET } from "./local-aws";
import type { Env, Print, RequestHandler } from "./types";

export interface SourceRoute {
  source: SourceSpec;
  match: (path: string) => Record<string, string> | undefined;
  ingest: (event: IngestEvent) => Promise<APIGatewayProxyStructuredResultV2>;
}

export interface MountedSources {
  routes: SourceRoute[];
  /** Source id → its webhook URL (the first route's). */
  webhooks: Record<string, string>;
  /** The source route serving `path`, with its path parameters, if any. */
  route(path: string): RequestHandler | undefined;
}

/** Route keys like "POST /webhook/lgm/{token}" as a matcher of paths (the method is the handler's to check). */
export function routeMatcher(routeKey: string): (path: string) => Record<string, string> | undefined {
  const pattern = routeKey.split(" ")[1] ?? "/";
  const names: string[] = [];
  const regex = new RegExp(
    `^${pattern.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_match, name: string) => {
      names.push(name);
      return "([^/]+)";
    })}$`,
  );
  return (path) => {
    const match = regex.exec(path);
    if (!match) return undefined;
    return Object.fromEntries(names.map((name, i) => [name, decodedSegment(match[i + 1] ?? "")]));
  };
}

/**
 * A path parameter as API Gateway HTTP APIs hand it over: percent-decoded. A segment that does not
 * decode (`%ZZ`, a lone `%`, bytes that are not UTF-8) is passed as it came, so a source sees a value
 * that matches nothing (LGM's token: 404) instead of the runtime failing with a URIError (500).
 */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The webhooks of the chosen flows' sources: each the same ingest Lambda as on AWS (its secrets,
 * settings and the ARNs of its subscribed flows as its environment), behind an API Gateway v2
 * adapter; every answer is counted in `/metrics` (`onAnswer`), and a 5xx printed.
 */
export async function mountSources(
  flows: readonly FlowSpec[],
  options: {
    settings: Env;
    engines: Record<string, LocalStepFunctions>;
    kit: TaskKit;
    url: string;
    print: Print;
    onAnswer: (source: string, status: number, outcome?: string) => void;
  },
): Promise<MountedSources> {
  const { settings, engines } = options;
  const routes: SourceRoute[] = [];
  const webhooks: Record<string, string> = {};
  for (const { source, flows: subscribed } of sourcesOf(flows, settings)) {
    const env: Env = {
      BUCKET_NAME: LOCAL_BUCKET,
      SOURCE_FLOWS: subscribed.map((flow) => flow.id).join(","),
      ...Object.fromEntries(
        [...source.secrets, ...(source.settings ?? [])].map((name) => [name, settings[name]]),
      ),
      ...Object.fromEntries(
        subscribed.map((flow) => [stateMachineArnVariable(flow.id), engines[flow.id]?.stateMachineArn]),
      ),
    };
    const ingest = (await loadBuild(source.handler))(env, options.kit) as SourceRoute["ingest"];
    for (const routeKey of source.routes) routes.push({ source, match: routeMatcher(routeKey), ingest });
    webhooks[source.id] = `${options.url}${(source.routes[0] ?? "").split(" ")[1]}`;
  }
  return {
    routes,
    webhooks,
    route(path) {
      for (const { source, match, ingest } of routes) {
        const parameters = match(path);
        if (!parameters) continue;
        return async (req, res) => {
          const answer = await invokeThroughApiGateway(req, res, ingest, source.maxBodyBytes, parameters);
          options.onAnswer(source.id, answer.status, answer.outcome);
          if (answer.status >= 500)
            options.print(`ingest ${source.id} answered ${answer.status}: the sender will deliver again`);
        };
      }
      return undefined;
    },
  };
}
