export * from "./definition";
export { announceFlow } from "./flow";
