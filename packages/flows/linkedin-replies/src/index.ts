export { linkedinRepliesFlow } from "./flow";
export { lgmSource } from "./source";
