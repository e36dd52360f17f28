/**
 * Where each state of a state machine sits: at the top, in a branch of a Parallel, or in a Map's
 * item processor. State names are unique across a whole state machine (Amazon States Language),
 * so a name alone says which branch an event of that state belongs to. Pure: reads only the
 * definition's shape, JSONPath or JSONata alike.
 */
export interface AslShape {
  States: Record<string, AslStateShape>;
}
export interface AslStateShape {
  Type: string;
  Branches?: AslShape[];
  ItemProcessor?: unknown;
  Iterator?: unknown;
}

export interface StateContainer {
  /** The Parallel or Map state the state is defined in. */
  state: string;
  kind: "Parallel" | "Map";
  /** Parallel: the index of the branch in `Branches`; Map: always 0 (its one item processor). */
  branch: number;
}

/** State name → the Parallel branch or Map item processor it is defined in; top-level states are absent. */
export function containersOf(definition: AslShape): Map<string, StateContainer> {
  const out = new Map<string, StateContainer>();
  const visit = (branch: AslShape, container: StateContainer | undefined) => {
    for (const [name, state] of Object.entries(branch.States ?? {})) {
      if (container) out.set(name, container);
      (state.Branches ?? []).forEach((nested, index) => {
        visit(nested, { state: name, kind: "Parallel", branch: index });
      });
      const processor = (state.ItemProcessor ?? state.Iterator) as AslShape | undefined;
      if (processor?.States) visit(processor, { state: name, kind: "Map", branch: 0 });
    }
  };
  visit(definition, undefined);
  return out;
}

/** The containers around `name`, innermost first (empty for a top-level state). */
export function containersAround(
  containers: ReadonlyMap<string, StateContainer>,
  name: string,
): StateContainer[] {
  const out: StateContainer[] = [];
  const seen = new Set<string>();
  for (let container = containers.get(name); container && !seen.has(container.state); ) {
    out.push(container);
    seen.add(container.state);
    container = containers.get(container.state);
  }
  return out;
}

/** Every state by name, nested ones included. */
export function statesByName(definition: AslShape): Map<string, AslStateShape> {
  const out = new Map<string, AslStateShape>();
  const visit = (branch: AslShape) => {
    for (const [name, state] of Object.entries(branch.States ?? {})) {
      out.set(name, state);
      for (const nested of state.Branches ?? []) visit(nested);
      const processor = (state.ItemProcessor ?? state.Iterator) as AslShape | undefined;
      if (processor?.States) visit(processor);
    }
  };
  visit(definition);
  return out;
}
