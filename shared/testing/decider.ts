import assert from "node:assert/strict";
import type { Decider } from "@shared/domain/shared/decider.ts";
import { fold } from "@shared/domain/shared/decider.ts";

// deno-lint-ignore no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

/** What a refused command must look like besides its class and message. */
export interface ThrowsOptions {
  /** The field the error names: `details.field`, or the first issue's field of a ValidationError. */
  field?: string;
}

/** The assertions available once the command is known. */
export interface Then<Event, State, Output> {
  /** Asserts the decided output (deep equality) and returns the state after its events. */
  then(expected: Output): State;
  /** Asserts that nothing is decided (an empty event list, or no events and no commands). */
  thenNothing(): State;
  /** Runs a custom assertion on the output and the state after its events. */
  thenAssert(check: (output: Output, state: State) => void): State;
  /** Asserts the command is refused with this error class, message and field. */
  thenThrows(errorClass: ErrorClass, message?: RegExp, options?: ThrowsOptions): Error;
  /** The output and the resulting state, for assertions the helpers above do not cover. */
  readonly events: readonly Event[];
}

/** The step after `given`. */
export interface When<Command, Event, State, Output> {
  when(command: Command): Then<Event, State, Output>;
}

/** The entry point of a spec: `given` history, or straight to `when` from the initial state. */
export interface Spec<Command, Event, State, Output> extends When<Command, Event, State, Output> {
  given(events: readonly Event[]): When<Command, Event, State, Output>;
}

/** Options of {@link spec}. */
export interface SpecOptions<Event, Output> {
  /** Where the events are in the output; the output itself when it is an array. */
  eventsOf?: (output: Output) => readonly Event[];
}

function fieldOf(error: Error): string | undefined {
  const details = (error as { details?: Record<string, unknown> }).details ?? {};
  if (typeof details.field === "string") return details.field;
  const issues = (error as { issues?: { field: string }[] }).issues;
  return issues?.[0]?.field;
}

/**
 * Given/when/then for a decider: `spec(decider).given(events).when(command)
 * .then(events)` or `.thenThrows(ErrorClass, /message/, { field })`. `then`
 * also folds the decided events, so an event `evolve` cannot apply fails the test.
 */
export function spec<Command, Event, State, Output>(
  decider: Decider<Command, Event, State, Output>,
  options: SpecOptions<Event, Output> = {},
): Spec<Command, Event, State, Output> {
  const eventsOf = options.eventsOf ??
    ((output: Output) => (Array.isArray(output) ? output : []) as readonly Event[]);

  const given = (history: readonly Event[]): When<Command, Event, State, Output> => ({
    when(command: Command): Then<Event, State, Output> {
      const state = fold(decider, history);
      let decided: { output: Output; after: State } | undefined;
      const run = () => {
        if (!decided) {
          const output = decider.decide(command, state);
          decided = { output, after: fold(decider, eventsOf(output), { from: state }) };
        }
        return decided;
      };
      return {
        then(expected) {
          const { output, after } = run();
          assert.deepStrictEqual(output, expected);
          return after;
        },
        thenNothing() {
          const { output, after } = run();
          assert.deepStrictEqual(eventsOf(output), []);
          if (!Array.isArray(output)) {
            const commands = (output as { commands?: unknown[] }).commands ?? [];
            assert.deepStrictEqual(commands, []);
          }
          return after;
        },
        thenAssert(check) {
          const { output, after } = run();
          check(output, after);
          return after;
        },
        thenThrows(errorClass, message, throwsOptions = {}) {
          let caught: unknown;
          try {
            decider.decide(command, state);
          } catch (error) {
            caught = error;
          }
          assert.ok(caught !== undefined, `expected ${errorClass.name}, but nothing was thrown`);
          assert.ok(
            caught instanceof errorClass,
            `expected ${errorClass.name}, got ${String(caught)}`,
          );
          if (message) assert.match(caught.message, message);
          if (throwsOptions.field !== undefined) {
            assert.equal(fieldOf(caught), throwsOptions.field, "field named by the error");
          }
          return caught;
        },
        get events() {
          return eventsOf(run().output);
        },
      };
    },
  });

  return { given, when: (command) => given([]).when(command) };
}
