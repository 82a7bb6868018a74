/**
 * effect-oneagent: request-level tracing for Effect with the concepts of the Dynatrace OneAgent SDK.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export * as AgentState from "./AgentState.ts"

/**
 * @since 0.1.0
 */
export * as Channel from "./Channel.ts"

/**
 * The seed's channel types at the top level (the same object as `Channel.ChannelType`).
 *
 * @since 0.1.0
 */
export { ChannelType } from "./Channel.ts"

/**
 * @since 0.1.0
 */
export * as CustomService from "./CustomService.ts"

/**
 * @since 0.1.0
 */
export * as Database from "./Database.ts"

/**
 * @since 0.1.0
 */
export * as ExportConfig from "./ExportConfig.ts"

/**
 * @since 0.1.0
 */
export * as InitResult from "./InitResult.ts"

/**
 * @since 0.1.0
 */
export * as InProcessLink from "./InProcessLink.ts"

/**
 * @since 0.1.0
 */
export * as Logging from "./Logging.ts"

/**
 * @since 0.1.0
 */
export * as Messaging from "./Messaging.ts"

/**
 * @since 0.1.0
 */
export * as OneAgentHttp from "./Http.ts"

/**
 * @since 0.1.0
 */
export { OneAgentSdk } from "./OneAgentSdk.ts"

/**
 * @since 0.1.0
 */
export type { Options as OneAgentSdkOptions, Service as OneAgentSdkService } from "./OneAgentSdk.ts"

/**
 * @since 0.1.0
 */
export * as OneAgentTest from "./OneAgentTest.ts"

/**
 * @since 0.1.0
 */
export * as RemoteCall from "./RemoteCall.ts"

/**
 * @since 0.1.0
 */
export * as RequestAttributes from "./RequestAttributes.ts"

/**
 * @since 0.1.0
 */
export * as Sampler from "./Sampler.ts"

/**
 * @since 0.1.0
 */
export * as SpanData from "./SpanData.ts"

/**
 * @since 0.1.0
 */
export * as TraceContext from "./TraceContext.ts"

/**
 * @since 0.1.0
 */
export * as Tracers from "./Tracers.ts"

/**
 * @since 0.1.0
 */
export * as WebRequest from "./WebRequest.ts"
