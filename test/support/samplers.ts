// Other SDKs' trace-id ratio samplers, to test which of them decide a trace as this engine does: OpenTelemetry JS's
// own class, and the Go and Python SDKs' rules transcribed from their source (neither SDK can run here).
import { ROOT_CONTEXT } from "@opentelemetry/api"
import { SamplingDecision, TraceIdRatioBasedSampler } from "@opentelemetry/sdk-trace-base"

/** OpenTelemetry JS (`TraceIdRatioBasedSampler`): the XOR of the id's four 32-bit words below ratio * (2^32 - 1). */
export const otelJsKeeps = (ratio: number) => {
  const sampler = new TraceIdRatioBasedSampler(ratio)
  return (traceId: string): boolean =>
    sampler.shouldSample(ROOT_CONTEXT, traceId).decision ===
      SamplingDecision.RECORD_AND_SAMPLED
}

/**
 * opentelemetry-go `sdk/trace/sampling.go`: `binary.BigEndian.Uint64(TraceID[8:16]) >> 1 < uint64(fraction * (1 << 63))`.
 */
export const goKeeps = (ratio: number) => {
  const bound = BigInt(Math.trunc(ratio * 2 ** 63))
  return (traceId: string): boolean => BigInt(`0x${traceId.slice(16)}`) >> 1n < bound
}

/**
 * opentelemetry-python `sdk/trace/sampling.py` `TraceIdRatioBased`: `trace_id & TRACE_ID_LIMIT < round(rate * 2**64)`
 * with `TRACE_ID_LIMIT = (1 << 64) - 1`.
 */
export const pythonKeeps = (ratio: number) => {
  const bound = BigInt(Math.round(ratio * 2 ** 64))
  return (traceId: string): boolean => BigInt(`0x${traceId.slice(16)}`) < bound
}
