import { sourceHandler, sourceHandlerBuild } from "@leadrelay/functions/source-ingest";
import { metaSource } from "./source";

export const build = sourceHandlerBuild(metaSource);
export const handler = sourceHandler(metaSource);
