/**
 * What a cluster worker's main thread pays per exported batch: in cluster mode each worker posts its encoded batches
 * to the primary with `process.send` (src/internal/cluster.ts), and the IPC channel lives on the main thread. Timed:
 * the synchronous part of one `process.send` of a batch message shaped as cluster.ts shapes it (512 spans, 66 KB of
 * protobuf), with the cluster's `serialization: "advanced"` (the bytes as they are) and the default JSON (base64
 * text), each in a forked child of its own, the primary reading the messages as the cluster's primary does.
 */
import { fork } from "node:child_process"
import { median, now, report } from "./lib.ts"

const SPANS = 512
const BYTES = SPANS * 130 // a 512-span batch of the bench workload's spans, protobuf
const WARMUP = 50
const N = 400
const ROUNDS = 5

const child = async (): Promise<void> => {
  const raw = Buffer.alloc(BYTES, 7)
  const advanced = process.env.IPC_SERIALIZATION === "advanced"
  const batch = advanced
    ? { "effect-oneagent": "batch", version: 1, format: "protobuf", spans: SPANS, encoding: "raw", data: raw }
    : { "effect-oneagent": "batch", version: 1, format: "protobuf", spans: SPANS, encoding: "base64", data: raw.toString("base64") }
  const send = () => new Promise<void>((resolve) => process.send!(batch, undefined, {}, () => resolve()))
  for (let i = 0; i < WARMUP; i++) await send()
  const rounds: Array<number> = []
  for (let r = 0; r < ROUNDS; r++) {
    let busy = 0
    for (let i = 0; i < N; i++) {
      const t0 = now()
      const sent = send()
      busy += now() - t0
      await sent
    }
    rounds.push(busy / N)
  }
  process.send!({ rounds })
}

const measure = (serialization: "json" | "advanced"): Promise<ReadonlyArray<number>> =>
  new Promise((resolve, reject) => {
    const worker = fork(new URL(import.meta.url).pathname, ["child"], {
      serialization,
      env: { ...process.env, IPC_SERIALIZATION: serialization }
    })
    let received = 0
    worker.on("message", (message: { rounds?: ReadonlyArray<number> }) => {
      if (message.rounds === undefined) return void received++
      worker.kill()
      resolve(message.rounds)
    })
    worker.on("exit", (code) => reject(new Error(`child exited with ${code} after ${received} batches`)))
  })

if (process.argv[2] === "child") {
  await child()
} else {
  const advanced = await measure("advanced")
  const json = await measure("json")
  const us = (ns: number) => ns / 1000
  report({
    file: "cluster-ipc.ts",
    iterations: `${ROUNDS} rounds × ${N} batches (+${WARMUP} warm-up) of ${SPANS} spans, ${BYTES} bytes, per serialization`,
    rows: [
      {
        bench: "12. cluster IPC",
        metric: "µs of a worker's main thread per 512-span batch (process.send), advanced serialization",
        ours: us(median(advanced)),
        theirs: us(median(json)),
        theirsLabel: "the default JSON serialization (base64)",
        unit: "µs",
        target: "(info)",
        note: `per span ${(us(median(advanced)) / SPANS * 1000).toFixed(0)} ns (advanced), ` +
          `${(us(median(json)) / SPANS * 1000).toFixed(0)} ns (JSON); rounds ${advanced.map((x) => us(x).toFixed(0)).join(", ")} / ` +
          `${json.map((x) => us(x).toFixed(0)).join(", ")} µs`
      }
    ]
  })
}
