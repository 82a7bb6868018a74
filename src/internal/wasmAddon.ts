/**
 * The WebAssembly engine behind the {@link Addon} interface: the native engine's sources compiled to wasm32-wasi with
 * a thin binding (native/wasm/), embedded in this package (wasm/module.ts), for wherever no native binary loads. Same
 * calls, statuses and string limits as the native addon; the differences are what a single-threaded instance implies:
 *
 * - The export runs on the calling thread: `engine_id()` is 0, so the exporter consumes the engine inline
 *   (`export_open(0, ...)`), encoding each batch on the application's thread, between its tasks. No batch leaves, so
 *   none is settled, while the application runs synchronously: spans one synchronous stretch ends past bufferSize are
 *   dropped (counted and reported), where the native engine's export thread takes them meanwhile.
 * - Its memory only grows (WebAssembly memory cannot shrink): the most it held at once, for instance a full buffer of
 *   finished spans, stays reserved.
 * - The engine keeps its counters and the ids it publishes in its own memory. Around each call that changes them, this
 *   adapter copies the counters that call changes from the arrays the TypeScript side passed to `engine_init` into
 *   the engine (the TypeScript side adds to some itself) and back out, and the ids out, so the arrays read as the
 *   native engine's shared ones do. Which call changes which counter is engine.cc's; test/wasm.test.ts compares the
 *   two engines' counters call by call.
 * - A trap (an allocation that failed: native/wasm/new.cc) can stop the engine halfway through a change, where the
 *   native engine's std::bad_alloc unwinds it cleanly: the engine is then off for good. The call that trapped answers
 *   what the native addon answers for std::bad_alloc, every later one Status.OutOfMemory (or its empty result); nothing
 *   throws into the application.
 *
 * It uses only what every JavaScript runtime has (WebAssembly, TextEncoder, performance, crypto): no file, no
 * `node:` module, no permission in Deno.
 *
 * @internal
 */
import type { Addon } from "./addon.ts"
import { Counter, IdsSlot, Status } from "./codes.ts"
import * as Embedded from "./wasm/module.ts"

// The few WebAssembly types used here (the DOM library, which declares them, is not part of this build).
declare const WebAssembly: {
  readonly Module: new(bytes: Uint8Array) => WasmModule
  readonly Instance: new(
    module: WasmModule,
    imports: Record<string, Record<string, (...args: Array<never>) => number>>
  ) => { readonly exports: Exports }
  readonly RuntimeError: new() => Error
}
interface WasmModule {
  readonly _wasmModule: unique symbol
}

// native/wasm/binding.cc and new.cc.
interface Exports {
  readonly memory: { readonly buffer: ArrayBuffer }
  _initialize(): void
  ow_memory_limit(bytes: number): void
  ow_scratch(size: number): number
  ow_counters(): number
  ow_ids(): number
  ow_counter_count(): number
  ow_ids_count(): number
  ow_state(): number
  ow_out(): number
  ow_batch(): number
  ow_batch_length(): number
  ow_batch_json(): number
  ow_batch_json_length(): number
  ow_engine_version(): number
  ow_abi(): number
  ow_engine_init(ring: number, ratio: number, maxAttributes: number, notParentBased: number): number
  ow_engine_shutdown(): number
  ow_intern(length: number): number
  ow_template_create(kind: number, flags: number): number
  ow_spans_open(): number
  ow_span_start(parent: number, template: number, sampledRoot: number): number
  ow_span_start_tagged(parent: number, template: number, tag: number, tagKind: number, state: number): number
  ow_span_end(handle: number): number
  ow_attr_number(handle: number, key: number, value: number, custom: number): number
  ow_attr_bigint(handle: number, key: number, value: bigint, custom: number): number
  ow_attr_bool(handle: number, key: number, value: number, custom: number): number
  ow_attr_string(handle: number, key: number, length: number, limit: number, custom: number): number
  ow_attr_none(): number
  ow_span_fail(handle: number, typeLength: number, messageLength: number, stackLength: number): number
  ow_span_status(handle: number, code: number, length: number): number
  ow_span_name(handle: number, length: number): number
  ow_span_event(handle: number, timeNs: bigint): number
  ow_span_link(handle: number): number
  ow_span_tag(handle: number): number
  ow_span_tag_bytes(handle: number): number
  ow_unsampled_root(): number
  ow_span_id_hex(): number
  ow_export_open(engineId: number, format: number, resourceOk: number, jsonCopy: number): number
  ow_export_close(): number
  ow_export_take(maxSpans: number, maxBytes: number): number
  ow_export_settle(count: number): number
  ow_export_state(): void
}

/** @internal The WebAssembly engine's {@link Addon}, which also tells the size of its memory. */
export interface WasmAddon extends Addon {
  /** The instance's memory in bytes: what the engine holds at most so far (WebAssembly memory never shrinks). */
  readonly memoryBytes: () => number
}

/** @internal Options of {@link make}. */
export interface Options {
  /** Bounds the instance's memory (bytes; tests run the engine out of memory with it). */
  readonly memoryLimitBytes?: number | undefined
}

// String limits in code points (native/status.h, span_bindings.cc).
const limitDefault = 250
const limitLong = 4096
const limitTag = 128
const limitTraceState = 512
const binaryTagLength = 29

let compiled: WasmModule | undefined

/** @internal The embedded module, decoded and compiled once. */
export const module = (): WasmModule => compiled ??= new WebAssembly.Module(decodeBase64(Embedded.base64))

const decodeBase64 = (text: string): Uint8Array => {
  const fromBase64 = (Uint8Array as { fromBase64?: (text: string) => Uint8Array }).fromBase64
  if (fromBase64 !== undefined) return fromBase64(text)
  const NodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: "base64"): Uint8Array } }).Buffer
  if (NodeBuffer !== undefined) return NodeBuffer.from(text, "base64")
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

// What Node-API makes of an argument (args.h): a u32 by ToUint32 and 0 for a non-number, a double or 0, a string
// or "", a boolean or false.
const u32 = (value: unknown): number => typeof value === "number" ? value >>> 0 : 0
const f64 = (value: unknown): number => typeof value === "number" ? value : 0
const str = (value: unknown): string => typeof value === "string" ? value : ""

// The type tag of a typed array, read without touching the value (a Proxy's traps never run); undefined otherwise.
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!
  .get as (this: unknown) => string | undefined
const isTypedArray = (value: unknown, tag: string, minLength: number): boolean =>
  typedArrayTag.call(value) === tag && (value as ArrayLike<number>).length >= minLength

// A value's type as the binding reads it (native/wasm/binding.cc ValueType), -1 for none.
const valueType = (value: unknown): number => {
  switch (typeof value) {
    case "string":
      return 0
    case "number":
      return 1
    case "bigint":
      return 2
    case "boolean":
      return 3
    default:
      return -1
  }
}

/**
 * A new instance of the WebAssembly engine, as an {@link Addon}. Throws only when the module cannot be instantiated
 * (a runtime without WebAssembly).
 *
 * @internal
 */
export const make = (options: Options = {}): WasmAddon => {
  let memory = { buffer: new ArrayBuffer(0) }
  // Views of the memory, made again after it grew (growing detaches the old buffer: its length reads 0).
  let heap = new Uint8Array(0)
  let data = new DataView(memory.buffer)
  let engineCounters = new Float64Array(0)
  let engineIds = new Int32Array(0)
  let countersAt = 0
  let idsAt = 0
  let counterCount = 0
  let idsCount = 0
  const fresh = (): void => {
    if (heap.byteLength !== 0) return
    const buffer = memory.buffer
    heap = new Uint8Array(buffer)
    data = new DataView(buffer)
    engineCounters = new Float64Array(buffer, countersAt, counterCount)
    engineIds = new Int32Array(buffer, idsAt, idsCount)
  }
  const clock = wallClock()
  const imports = {
    wasi_snapshot_preview1: {
      // (clock id, precision, where the u64 goes) → errno 0. Every clock is the wall clock (the engine asks for
      // CLOCK_REALTIME only).
      clock_time_get: (_id: number, _precision: bigint, at: number): number => {
        fresh()
        clock(data, at)
        return 0
      },
      random_get: (at: number, length: number): number => {
        for (let done = 0; done < length; done += 65536) {
          crypto.getRandomValues(new Uint8Array(memory.buffer, at + done, Math.min(65536, length - done)))
        }
        return 0
      }
    }
  }
  const x = new WebAssembly.Instance(module(), imports).exports
  memory = x.memory
  x._initialize()
  if (options.memoryLimitBytes !== undefined) x.ow_memory_limit(options.memoryLimitBytes >>> 0)
  counterCount = x.ow_counter_count()
  idsCount = x.ow_ids_count()
  countersAt = x.ow_counters()
  idsAt = x.ow_ids()
  const stateAt = x.ow_state()
  let scratch = x.ow_scratch(65536)
  let scratchSize = 65536
  heap = new Uint8Array(0)
  fresh()
  const ensure = (size: number): void => {
    if (size > scratchSize) {
      scratchSize = Math.max(size, scratchSize * 2)
      scratch = x.ow_scratch(scratchSize)
    }
    fresh()
  }

  // The TypeScript side's arrays (engine_init), while an engine runs.
  let counters: Float64Array | undefined
  let ids: Int32Array | undefined
  // Both sides add to the counters: the engine's copy starts each call from the TypeScript side's values of the
  // counters it changes, and they get the engine's back after it. A start adds to Started or Unsampled and may note,
  // an end adds to Ended, EndedSampled or DroppedRing, an attribute to DroppedAttributes (engine.cc); the others the
  // engine sets.
  const beforeStart = (c: Float64Array): void => {
    fresh()
    const w = engineCounters
    w[Counter.Started] = c[Counter.Started]!
    w[Counter.Unsampled] = c[Counter.Unsampled]!
    w[Counter.LastNote] = c[Counter.LastNote]!
  }
  // ... and a start publishes the new span's ids.
  const afterStart = (c: Float64Array, i: Int32Array): void => {
    fresh()
    const w = engineCounters
    c[Counter.Started] = w[Counter.Started]!
    c[Counter.Open] = w[Counter.Open]!
    c[Counter.Unsampled] = w[Counter.Unsampled]!
    c[Counter.LastNote] = w[Counter.LastNote]!
    c[Counter.LastOrder] = w[Counter.LastOrder]!
    const published = engineIds
    for (let k = 0; k < IdsSlot.Count; k++) i[k] = published[k]!
  }
  const beforeEnd = (c: Float64Array): void => {
    fresh()
    const w = engineCounters
    w[Counter.Ended] = c[Counter.Ended]!
    w[Counter.EndedSampled] = c[Counter.EndedSampled]!
    w[Counter.DroppedRing] = c[Counter.DroppedRing]!
  }
  const afterEnd = (c: Float64Array): void => {
    fresh()
    const w = engineCounters
    c[Counter.Ended] = w[Counter.Ended]!
    c[Counter.Open] = w[Counter.Open]!
    c[Counter.EndedSampled] = w[Counter.EndedSampled]!
    c[Counter.DroppedRing] = w[Counter.DroppedRing]!
    c[Counter.Queued] = w[Counter.Queued]!
  }

  // Off for good after a trap (see the module comment).
  let off = false
  const trapped = <A>(error: unknown, result: A): A => {
    // RuntimeError: a trap. RangeError: the stack ran out, possibly inside the engine. Either may have stopped it
    // halfway; an error of this adapter's own (a hostile argument) happened before the engine was called.
    if (error instanceof WebAssembly.RuntimeError || error instanceof RangeError) {
      off = true
      counters = undefined
      ids = undefined
    }
    return result
  }

  const encoder = new TextEncoder()
  const decoder = new TextDecoder()
  // Writes the first `limit` code points of s, and one more so the engine sees the cut, as UTF-8 at scratch offset
  // `at` (lone surrogates as U+FFFD, as Node-API writes them); returns the byte length. The engine cuts it to
  // `limit` by the native rule. A code point is at most 2 UTF-16 units, so 2 * (limit + 1) units hold limit + 1.
  const put = (s: string, at: number, limit: number): number => {
    const n = Math.min(s.length, 2 * limit + 2)
    ensure(at + 3 * n)
    const bytes = heap
    const base = scratch + at
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) {
        const rest = i === 0 && n === s.length ? s : s.slice(i, n)
        return i + encoder.encodeInto(rest, bytes.subarray(base + i, base + 3 * n)).written
      }
      bytes[base + i] = c
    }
    return n
  }
  // A string with its u32 byte length in front, at `at`; returns the end.
  const putString = (s: string, at: number, limit: number): number => {
    const length = put(s, at + 4, limit)
    data.setUint32(scratch + at, length, true)
    return at + 4 + length
  }
  // A value of type `type` (valueType) at `at`; returns the end.
  const putValue = (type: number, value: unknown, limit: number, at: number): number => {
    switch (type) {
      case 0:
        return putString(value as string, at, limit)
      case 1:
        ensure(at + 8)
        data.setFloat64(scratch + at, value as number, true)
        return at + 8
      case 2:
        ensure(at + 8)
        data.setBigInt64(scratch + at, value as bigint, true)
        return at + 8
      default:
        ensure(at + 1)
        heap[scratch + at] = value === true ? 1 : 0
        return at + 1
    }
  }
  // [key, value, limit, ...] at `at` as binding.cc's read_attributes reads it: u32 count, then per attribute u8 type,
  // u32 limit, the key, the value. Values of no attribute type are left out, as the native addon skips them.
  const putAttributes = (list: unknown, at: number): void => {
    ensure(at + 4)
    const countAt = at
    let count = 0
    at += 4
    if (Array.isArray(list)) {
      for (let i = 0; i + 2 < list.length; i += 3) {
        const value: unknown = list[i + 1]
        const type = valueType(value)
        if (type < 0) continue
        const limit = u32(list[i + 2])
        ensure(at + 5)
        heap[scratch + at] = type
        data.setUint32(scratch + at + 1, limit, true)
        at = putString(str(list[i]), at + 5, limitDefault)
        at = putValue(type, value, limit === 0 ? limitDefault : limit, at)
        count++
      }
    }
    data.setUint32(scratch + countAt, count, true)
  }
  // The resource list of export_open at `at` (u32 count, per entry u8 type, key, value); false when malformed.
  const putResource = (entries: unknown, at: number): number | undefined => {
    if (!Array.isArray(entries)) return undefined
    ensure(at + 4)
    data.setUint32(scratch + at, entries.length, true)
    at += 4
    for (const entry of entries) {
      if (!Array.isArray(entry)) return undefined
      const key: unknown = entry[0]
      const value: unknown = entry[1]
      const type = valueType(value)
      if (typeof key !== "string" || type < 0) return undefined
      ensure(at + 1)
      heap[scratch + at] = type
      at = putString(key, at + 1, limitDefault)
      at = putValue(type, value, limitLong, at)
    }
    return at
  }
  const ascii = (at: number, length: number): string => {
    fresh()
    return decoder.decode(heap.subarray(at, at + length))
  }

  const attr = (handle: unknown, key: unknown, value: unknown, limit: unknown, custom: number): number => {
    if (off) return Status.OutOfMemory
    try {
      const c = counters
      if (c !== undefined) {
        fresh()
        engineCounters[Counter.DroppedAttributes] = c[Counter.DroppedAttributes]!
      }
      const h = u32(handle)
      const k = u32(key)
      let status: number
      switch (typeof value) {
        case "string":
          status = x.ow_attr_string(h, k, put(value, 0, u32(limit) || limitDefault), u32(limit), custom)
          break
        case "number":
          status = x.ow_attr_number(h, k, value, custom)
          break
        case "boolean":
          status = x.ow_attr_bool(h, k, value ? 1 : 0, custom)
          break
        case "bigint":
          status = x.ow_attr_bigint(h, k, value, custom)
          break
        default:
          return x.ow_attr_none()
      }
      if (c !== undefined) {
        fresh()
        c[Counter.DroppedAttributes] = engineCounters[Counter.DroppedAttributes]!
      }
      return status
    } catch (error) {
      return trapped(error, Status.OutOfMemory)
    }
  }

  const versionLength = x.ow_engine_version()
  const [versionName, sourceHash] = ascii(x.ow_out(), versionLength).split(" ")
  const version: [version: string, abi: number, sourceHash: string] = [versionName!, x.ow_abi(), sourceHash!]

  const addon: WasmAddon = {
    memoryBytes: () => memory.buffer.byteLength,
    counter_count: counterCount,
    ids_count: idsCount,
    engine_init: (c, i, ringCapacity, sampleRatio, maxAttributes, notParentBased) => {
      if (off) return Status.Refused
      try {
        if (counters !== undefined) return x.ow_engine_init(0, 0, 0, 0)
        // The arrays the engine's counters and ids are copied to, and the ring capacity's type, as the native addon
        // checks them; the binding checks the rest.
        if (!isTypedArray(c, "Float64Array", counterCount) || !isTypedArray(i, "Int32Array", idsCount)) {
          return Status.Refused
        }
        if (ringCapacity !== undefined && typeof ringCapacity !== "number") return Status.Refused
        // The engine continues the counters from the array's values, as the native engine adds to the array.
        fresh()
        engineCounters.set(c.subarray(0, counterCount))
        const status = x.ow_engine_init(ringCapacity ?? 0, f64(sampleRatio), u32(maxAttributes), u32(notParentBased))
        if (status === Status.Ok) {
          counters = c
          ids = i
        }
        return status
      } catch (error) {
        return trapped(error, Status.Refused)
      }
    },
    engine_shutdown: () => {
      if (off) return 0
      try {
        const remaining = x.ow_engine_shutdown()
        if (remaining === 0) {
          counters = undefined
          ids = undefined
        }
        return remaining
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    engine_version: () => [...version],
    intern: (value) => {
      if (off) return 0
      try {
        return x.ow_intern(put(str(value), 0, limitDefault))
      } catch (error) {
        return trapped(error, 0)
      }
    },
    template_create: (name, kind, flags, attributes) => {
      if (off) return Status.OutOfMemory
      try {
        putAttributes(attributes, putString(str(name), 0, limitDefault))
        return x.ow_template_create(u32(kind), u32(flags))
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    spans_open: () => {
      if (off) return []
      try {
        const length = x.ow_spans_open()
        fresh()
        const out: Array<[handle: number, name: string, startNs: bigint]> = []
        for (let at = x.ow_out(), end = at + length; at < end;) {
          const nameLength = data.getUint32(at + 4, true)
          out.push([
            data.getUint32(at, true),
            decoder.decode(heap.subarray(at + 16, at + 16 + nameLength)),
            data.getBigInt64(at + 8, true)
          ])
          at += 16 + nameLength
        }
        return out
      } catch (error) {
        return trapped(error, [])
      }
    },
    span_start: (parent, template, sampledRoot) => {
      if (off) return Status.OutOfMemory
      try {
        const c = counters
        if (c === undefined) return x.ow_span_start(u32(parent), u32(template), u32(sampledRoot))
        beforeStart(c)
        const handle = x.ow_span_start(u32(parent), u32(template), u32(sampledRoot))
        afterStart(c, ids!)
        return handle
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    span_start_tagged: (parent, template, tag, traceState) => {
      if (off) return Status.OutOfMemory
      try {
        const c = counters
        let length = 0
        let kind = 2
        if (isTypedArray(tag, "Uint8Array", 0)) {
          // The binary tag is its first 29 bytes; a longer array parses as they do. (A loop: subarray would throw
          // for a detached array, whose length reads 0.)
          const bytes = tag as Uint8Array
          length = Math.min(bytes.length, binaryTagLength)
          ensure(length)
          for (let i = 0; i < length; i++) heap[scratch + i] = bytes[i]!
          kind = 1
        } else if (typeof tag === "string") {
          length = put(tag, 0, limitTag)
          kind = 0
        }
        const state = put(str(traceState), length, limitTraceState)
        if (c === undefined) return x.ow_span_start_tagged(u32(parent), u32(template), length, kind, state)
        beforeStart(c)
        const handle = x.ow_span_start_tagged(u32(parent), u32(template), length, kind, state)
        afterStart(c, ids!)
        return handle
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    span_end: (handle) => {
      if (off) return Status.OutOfMemory
      try {
        const c = counters
        if (c === undefined) return x.ow_span_end(u32(handle))
        beforeEnd(c)
        const status = x.ow_span_end(u32(handle))
        afterEnd(c)
        return status
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    span_attr: (handle, key, value, limit) => attr(handle, key, value, limit, 0),
    span_service_attr: (handle, key, value, limit) => attr(handle, key, value, limit, 1),
    span_fail: (handle, type, message, stack) => {
      if (off) return Status.OutOfMemory
      try {
        const a = put(str(type), 0, limitDefault)
        const b = put(str(message), a, limitLong)
        return x.ow_span_fail(u32(handle), a, b, put(str(stack), a + b, 4 * limitLong))
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    span_status: (handle, code, message) => {
      if (off) return Status.OutOfMemory
      try {
        return x.ow_span_status(u32(handle), u32(code), put(str(message), 0, limitLong))
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    span_name: (handle, name) => {
      if (off) return Status.OutOfMemory
      try {
        return x.ow_span_name(u32(handle), put(str(name), 0, limitDefault))
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    span_event: (handle, name, timeNs, attributes) => {
      if (off) return Status.OutOfMemory
      try {
        putAttributes(attributes, putString(str(name), 0, limitDefault))
        return x.ow_span_event(u32(handle), typeof timeNs === "bigint" ? BigInt.asIntN(64, timeNs) : 0n)
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    span_link: (handle, traceparent, attributes) => {
      if (off) return Status.OutOfMemory
      try {
        putAttributes(attributes, putString(str(traceparent), 0, limitTag))
        return x.ow_span_link(u32(handle))
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    span_tag: (handle) => {
      if (off) return Status.OutOfMemory
      try {
        const length = x.ow_span_tag(u32(handle))
        return length < 0 ? length : ascii(scratch, length)
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    span_tag_bytes: (handle) => {
      if (off) return Status.OutOfMemory
      try {
        const length = x.ow_span_tag_bytes(u32(handle))
        if (length < 0) return length
        fresh()
        return heap.slice(scratch, scratch + length)
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    unsampled_root: () => {
      if (off) return Status.OutOfMemory
      try {
        const c = counters
        if (c === undefined) return x.ow_unsampled_root()
        beforeStart(c)
        const status = x.ow_unsampled_root()
        afterStart(c, ids!)
        return status
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    span_id_hex: () => {
      if (off) return Status.OutOfMemory
      try {
        const length = x.ow_span_id_hex()
        return length < 0 ? length : ascii(scratch, length)
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    // No other thread can open this engine: the export runs inline (see the module comment).
    engine_id: () => 0,
    export_open: (engineId, format, resource, scopeName, scopeVersion, jsonCopy) => {
      if (off) return Status.OutOfMemory
      try {
        const f = format === "protobuf" ? 0 : format === "json" ? 1 : 2
        const end = putResource(resource, 0)
        if (end !== undefined) putString(str(scopeVersion), putString(str(scopeName), end, limitDefault), limitDefault)
        return x.ow_export_open(u32(engineId), f, end !== undefined ? 1 : 0, jsonCopy === true ? 1 : 0)
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    export_close: () => {
      if (off) return Status.Ok
      try {
        return x.ow_export_close()
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    export_take: (maxSpans, maxBytes) => {
      if (off) return null
      try {
        const spans = x.ow_export_take(u32(maxSpans), f64(maxBytes))
        if (spans <= 0) return null
        fresh()
        const at = x.ow_batch()
        const bytes = heap.slice(at, at + x.ow_batch_length())
        const jsonLength = x.ow_batch_json_length()
        if (jsonLength === 0) return [bytes, spans]
        const json = x.ow_batch_json()
        return [bytes, spans, heap.slice(json, json + jsonLength)]
      } catch (error) {
        return trapped(error, null)
      }
    },
    export_settle: (spans) => {
      if (off) return Status.NotStarted
      try {
        return x.ow_export_settle(f64(spans))
      } catch (error) {
        return trapped(error, Status.OutOfMemory)
      }
    },
    export_state: () => {
      if (off) return [0, 0]
      try {
        x.ow_export_state()
        fresh()
        return [data.getFloat64(stateAt, true), data.getFloat64(stateAt + 8, true)]
      } catch (error) {
        return trapped(error, [0, 0])
      }
    }
  }
  return addon
}

/**
 * The engine's wall clock: writes nanoseconds since the Unix epoch as a little-endian u64 at `at`. From
 * `performance.timeOrigin + performance.now()`, as the TypeScript side's own times (service.ts), with sub-millisecond
 * precision; computed exactly in 16-bit parts, since the sum in nanoseconds is beyond a double's 2^53.
 */
const wallClock = (): (view: DataView, at: number) => void => {
  const origin = performance.timeOrigin
  const originMs = Math.floor(origin)
  // originMs * 1e6 = high * 2^16 + (low * 1e6), each part exact.
  const high = Math.floor(originMs / 65536) * 1e6
  const low = (originMs % 65536) * 1e6 + Math.round((origin - originMs) * 1e6)
  return (view, at) => {
    const sum = low + Math.round(performance.now() * 1e6) // < 2^53 for 104 days of uptime
    const carry = Math.floor(sum / 65536)
    const upper = high + carry // the value is upper * 2^16 + (sum - carry * 2^16)
    const upperHigh = Math.floor(upper / 65536)
    view.setUint32(at, ((upper - upperHigh * 65536) * 65536 + (sum - carry * 65536)) >>> 0, true)
    view.setUint32(at + 4, upperHigh >>> 0, true)
  }
}
