import { sourceHandler, sourceHandlerBuild } from "@leadrelay/functions/source-ingest";
import { crmSource } from "./source";

/** The Lambda behind `POST /webhook/crm` (the local runtime serves the same build). */
export const build = sourceHandlerBuild(crmSource);
export const handler = sourceHandler(crmSource);
