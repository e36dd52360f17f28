export * from "./close-signature";
export * from "./close-webhook";
export * from "./errors";
export * from "./lead";
export * from "./lead-id";
export * from "./owner-record";
export * from "./ports";
export * from "./slack-message";
