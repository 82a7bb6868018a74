/**
 * The library's name and version, as the telemetry resource and `agentVersionString` give them.
 *
 * @internal
 */

/** @internal The `telemetry.sdk.name` resource attribute and the instrumentation scope's name. */
export const sdkName = "effect-oneagent"

/** @internal The `telemetry.sdk.version` resource attribute; kept in step with package.json (test/packaging checks). */
export const sdkVersion = "0.1.0"
