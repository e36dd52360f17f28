export { metaLeadsFlow } from "./flow";
export { metaSource } from "./source";
