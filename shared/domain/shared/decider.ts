/**
 * A pure decider: what an aggregate (or a process manager) decides from a
 * command and its current state, and how its events fold into that state.
 * `Output` is the event list for aggregates; the order saga also returns the
 * commands it sends.
 */
export interface Decider<Command, Event, State, Output = Event[]> {
  decide(command: Command, state: State): Output;
  evolve(state: State, event: Event): State;
  initialState: State;
}

/** Folds events into a state with a decider's `evolve`, from its initial state unless given. */
export function fold<Event, State>(
  decider: Pick<Decider<unknown, Event, State, unknown>, "evolve" | "initialState">,
  events: readonly Event[],
  options: { from?: State } = {},
): State {
  return events.reduce(
    (state, event) => decider.evolve(state, event),
    "from" in options ? options.from as State : decider.initialState,
  );
}
