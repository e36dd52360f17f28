import { sourceHandler, sourceHandlerBuild } from "@leadrelay/functions/source-ingest";
import { lgmSource } from "./source";

export const build = sourceHandlerBuild(lgmSource);
export const handler = sourceHandler(lgmSource);
