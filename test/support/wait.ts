// Waiting in tests without guessing how long something takes: for an event (a request arrived, a message was
// reported) or, where no event exists, for a counter or state to reach a value. The bounds only end a wait for
// something that must happen, so they are generous and fail with what was awaited; they are never a measurement.
import * as Effect from "effect/Effect"

/** How long a test waits for something that must happen before it fails saying what it waited for. */
export const patienceMillis = 20_000

const timedOut = (what: string, timeoutMillis: number) =>
  new Error(`timed out after ${timeoutMillis / 1000} s waiting for ${what}`)

/**
 * Conditions over state that callbacks change: whoever changes the state calls `changed`, and `until` resumes as
 * soon as its condition holds (checked at once, then on every change). Works under any clock (it.effect's TestClock
 * too): the bound is a real timer.
 */
export interface Watch {
  readonly changed: () => void
  readonly until: (what: string, holds: () => boolean, timeoutMillis?: number) => Effect.Effect<void>
}

export const watch = (): Watch => {
  const waiters = new Set<() => void>()
  return {
    changed: () => {
      for (const waiter of [...waiters]) waiter()
    },
    until: (what, holds, timeoutMillis = patienceMillis) =>
      Effect.callback<void>((resume) => {
        if (holds()) return resume(Effect.void)
        const forget = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        const check = () => {
          if (!holds()) return
          forget()
          resume(Effect.void)
        }
        const timer = setTimeout(() => {
          forget()
          resume(Effect.die(timedOut(what, timeoutMillis)))
        }, timeoutMillis)
        waiters.add(check)
        return Effect.sync(forget)
      })
  }
}

/**
 * Polls `check` until it gives a value, for state no event announces (the engine's counters, the agent state).
 * For it.live tests: the poll steps and the bound run on the Effect clock.
 */
export const eventually = <A, E, R>(
  what: string,
  check: Effect.Effect<A | undefined, E, R>,
  timeoutMillis = patienceMillis
): Effect.Effect<A, E, R> =>
  Effect.gen(function*() {
    while (true) {
      const value = yield* check
      if (value !== undefined) return value
      yield* Effect.sleep(5)
    }
  }).pipe(
    Effect.timeoutOrElse({ duration: timeoutMillis, orElse: () => Effect.die(timedOut(what, timeoutMillis)) })
  )
