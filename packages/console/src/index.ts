export type { ConsoleDeps, ReceivedSlackMessage, StandInRecord } from "./console-deps";
export type { ConsoleFlow, FlowTarget } from "./console-flows";
export { type ConsoleHandler, createConsole, keyPageUrl } from "./console-routes";
export * from "./lead-operations";
