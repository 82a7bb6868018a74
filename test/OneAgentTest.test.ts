// The strict test layer: every misuse recorded while it is in scope fails the test. In the test's own fiber it is
// raised where it happens; in any other fiber (a detached one, the handler of a server the test started) that fiber
// goes on as in production, and the test fails at its next query of the layer or when the layer is released, with
// every such misuse in one defect.
import { assert, describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { OneAgentSdk, OneAgentTest } from "../src/index.ts"

const call = { method: "m", service: "S", endpoint: "e", channel: { type: 0 as const } }

// The defect the layer raised, from the exit of the effect that provided it.
const misuseOf = (exit: Exit.Exit<unknown, unknown>): Error => {
  assert(Exit.isFailure(exit), "the test should have failed")
  const defect = Cause.squash(exit.cause)
  expect(defect).toBeInstanceOf(OneAgentTest.OneAgentMisuseError)
  return defect as Error
}

describe("OneAgentTest", () => {
  describe("misuse outside the test's own fiber", () => {
    it.effect("a tracer ended twice in a detached fiber fails the test at its next query", () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Effect.gen(function*() {
          const test = yield* OneAgentTest.OneAgentTest
          const sdk = yield* OneAgentSdk
          const done = yield* Deferred.make<void>()
          yield* Effect.forkDetach(Effect.scoped(Effect.gen(function*() {
            const tracer = yield* sdk.traceOutgoingRemoteCall(call)
            yield* tracer.end
            yield* tracer.end
          })).pipe(Effect.ensuring(Deferred.succeed(done, undefined))))
          yield* Deferred.await(done)
          // The detached fiber went on (as it would in production); the query raises what it did.
          yield* test.spans
        }).pipe(Effect.provide(OneAgentTest.layer())))
        const defect = misuseOf(exit)
        expect(defect.message).toContain("traceOutgoingRemoteCall.end: the tracer has already ended")
      }))

    it.effect("a tag read after end in a node:http handler run with the test's context fails the test at release", () =>
      Effect.gen(function*() {
        const statuses: Array<number> = []
        const exit = yield* Effect.exit(Effect.scoped(Effect.gen(function*() {
          const context = yield* Effect.context<OneAgentSdk>()
          const server = yield* Effect.acquireRelease(
            Effect.callback<Http.Server>((resume) => {
              const server = Http.createServer((_, res) => {
                const handler = Effect.scoped(Effect.gen(function*() {
                  const sdk = yield* OneAgentSdk
                  const tracer = yield* sdk.traceOutgoingRemoteCall(call)
                  yield* tracer.end
                  return yield* tracer.outgoingStringTag
                }))
                Effect.runPromiseWith(context)(handler).then(
                  (tag) => res.writeHead(200).end(tag),
                  () => res.writeHead(500).end()
                )
              })
              server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
            }),
            (server) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
          )
          const port = (server.address() as AddressInfo).port
          const response = yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/`))
          statuses.push(response.status)
          yield* Effect.promise(() => response.text())
        })).pipe(Effect.provide(OneAgentTest.layer())))
        // The handler answered as it would in production (an empty tag); the test failed when the layer was released.
        expect(statuses).toEqual([200])
        const defect = misuseOf(exit)
        expect(defect.message).toContain("1 misuse(s) outside the test's own fiber")
        expect(defect.message).toContain("traceOutgoingRemoteCall.outgoingStringTag: the tracer has already ended")
      }))

    it.effect("misuse in the test's own fiber is raised where it happens, and not again at release", () =>
      Effect.gen(function*() {
        const inner = yield* Effect.exit(Effect.gen(function*() {
          const sdk = yield* OneAgentSdk
          const exit = yield* Effect.exit(Effect.scoped(Effect.gen(function*() {
            const tracer = yield* sdk.traceOutgoingRemoteCall(call)
            yield* tracer.end
            yield* tracer.end
          })))
          misuseOf(exit)
          return "caught"
        }).pipe(Effect.provide(OneAgentTest.layer())))
        expect(inner).toEqual(Exit.succeed("caught"))
      }))

    it.effect("a forked fiber that is joined: its misuse fails the test at release even if the join is ignored", () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Effect.gen(function*() {
          const sdk = yield* OneAgentSdk
          const fiber = yield* Effect.forkChild(Effect.scoped(Effect.gen(function*() {
            const tracer = yield* sdk.traceCustomService({ method: "m", service: "s" })
            yield* tracer.end
            yield* tracer.markFailed("E", "after end")
          })))
          yield* Fiber.join(fiber)
        }).pipe(Effect.provide(OneAgentTest.layer())))
        expect(misuseOf(exit).message).toContain("traceCustomService.markFailed: the tracer has already ended")
      }))
  })
})
