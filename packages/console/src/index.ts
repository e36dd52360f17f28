export type { ConsoleDeps, ReceivedSlackMessage } from "./console-deps";
export { type ConsoleHandler, createConsole } from "./console-routes";
export * from "./lead-operations";
