import { type HandlerBuild, lambdaHandler, type SecretStoreFactory } from "./lambda";
import { skipReportingFromEnv, withSkipReports } from "./skipped-report";

/**
 * A flow Task's Lambda entry: `lambdaHandler` plus the reporting of the actions it skips (an
 * `ActionsSkipped` embedded metric, and the alert with LEADRELAY_ALERT_ON_SKIPPED=true; see
 * skipped-report.ts). Only Task Lambdas carry it: a source's ingest and the failure alert do not.
 */
export function taskHandler<E, R>(service: string, build: HandlerBuild<E, R>, secrets?: SecretStoreFactory) {
  return lambdaHandler<E, R>(
    service,
    (env, kit) => {
      const handler = build(env, kit);
      let reported: Promise<(event: E) => Promise<R>> | undefined;
      return async (event: E) => {
        // Built once; a failure (a bad alert setting) is thrown and tried again by the next invocation.
        reported ??= skipReportingFromEnv(env, kit)
          .then((reporting) => withSkipReports(handler, reporting))
          .catch((error: unknown) => {
            reported = undefined;
            throw error;
          });
        return (await reported)(event);
      };
    },
    secrets,
  );
}
