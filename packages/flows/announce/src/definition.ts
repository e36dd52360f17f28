import type { AslDefinition } from "@leadrelay/functions/state-machine";
import asl from "../announce.asl.json";

/** The hold before the owner lookup: time for a rep to be assigned in Close. */
export const WAIT_STATE = "HoldForOwner";
export const DEFAULT_WAIT_SECONDS = 600;

/** The ASL file with the hold set; ARNs stay `${…}` placeholders (CloudFormation or the local runtime fill them). */
export function definitionWithWait(waitSeconds: number = DEFAULT_WAIT_SECONDS): AslDefinition {
  const definition = structuredClone(asl) as AslDefinition;
  const wait = definition.States[WAIT_STATE];
  if (wait?.Type !== "Wait") throw new Error(`The definition has no Wait state ${WAIT_STATE}`);
  wait.Seconds = waitSeconds;
  return definition;
}
