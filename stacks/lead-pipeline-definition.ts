import { type AslDefinition, WAIT_STATE } from "../packages/functions/src/state-machine";
import leadPipelineAsl from "../packages/functions/statemachine/lead-pipeline.asl.json";

/**
 * The one ASL file with the hold time set, as `definitionWithWait` builds it for the local runtime.
 * The file is imported rather than read through `DEFINITION_PATH`: the SST CLI bundles sst.config.ts
 * and the stacks into one file at the project root, where a path made from `import.meta.url` no
 * longer points at the ASL. infra.test.ts asserts both give the same definition.
 */
export function leadPipelineDefinition(waitSeconds: number): AslDefinition {
  const definition: AslDefinition = structuredClone(leadPipelineAsl);
  const wait = definition.States[WAIT_STATE];
  if (wait?.Type !== "Wait") throw new Error(`The definition has no Wait state ${WAIT_STATE}`);
  wait.Seconds = waitSeconds;
  return definition;
}
