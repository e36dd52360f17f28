export { triageFlow } from "./flow";
