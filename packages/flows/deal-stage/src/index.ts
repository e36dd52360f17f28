export { dealStageFlow } from "./flow";
export { crmSource } from "./source";
