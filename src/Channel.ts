/**
 * The channel a remote call, database or messaging system is reached over.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/channel.ts"

/**
 * Channel types with the numbers of the OneAgent SDK. Also exported at the top level as `ChannelType`, as the seed
 * has it.
 *
 * @since 0.1.0
 * @category constants
 */
export const ChannelType: {
  readonly OTHER: 0
  readonly TCP_IP: 1
  readonly UNIX_DOMAIN_SOCKET: 2
  readonly NAMED_PIPE: 3
  readonly IN_PROCESS: 4
} = internal.ChannelType

/**
 * @since 0.1.0
 * @category models
 */
export type ChannelType = typeof ChannelType[keyof typeof ChannelType]

/**
 * @since 0.1.0
 * @category models
 */
export interface Channel {
  readonly type: ChannelType
  /** `host:port` for TCP/IP, a path for sockets and pipes; optional. */
  readonly endpoint?: string | undefined
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (type: ChannelType, endpoint?: string): Channel =>
  endpoint === undefined ? { type } : { type, endpoint }

/**
 * The attributes a channel adds to a span: `network.transport`, `server.address` / `server.port` for
 * TCP/IP endpoints, and the OneAgent channel type and endpoint under `oneagent.channel.*`.
 *
 * @since 0.1.0
 * @category attributes
 */
export const attributes: (channel: Channel) => Array<readonly [string, string | number]> = internal.attributes
