/**
 * The channel a remote call, database or messaging system is reached over.
 *
 * @since 0.1.0
 */

/**
 * Channel types with the numbers of the OneAgent SDK.
 *
 * @since 0.1.0
 * @category constants
 */
export const ChannelType = {
  OTHER: 0,
  TCP_IP: 1,
  UNIX_DOMAIN_SOCKET: 2,
  NAMED_PIPE: 3,
  IN_PROCESS: 4
} as const

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

const typeNames = ["OTHER", "TCP_IP", "UNIX_DOMAIN_SOCKET", "NAMED_PIPE", "IN_PROCESS"] as const

/**
 * The attributes a channel adds to a span: `network.transport`, `server.address` / `server.port` for
 * TCP/IP endpoints, and the OneAgent channel type and endpoint under `oneagent.channel.*`.
 *
 * @since 0.1.0
 * @category attributes
 */
export const attributes = (channel: Channel): Array<readonly [string, string | number]> => {
  const out: Array<readonly [string, string | number]> = [
    ["oneagent.channel.type", typeNames[channel.type] ?? "OTHER"]
  ]
  const endpoint = channel.endpoint
  if (endpoint === undefined || endpoint === "") return out
  out.push(["oneagent.channel.endpoint", endpoint])
  switch (channel.type) {
    case ChannelType.TCP_IP: {
      out.push(["network.transport", "tcp"])
      const match = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(endpoint)
      if (match !== null) {
        out.push(["server.address", match[1]!], ["server.port", Number(match[2])])
      } else {
        out.push(["server.address", endpoint])
      }
      break
    }
    case ChannelType.UNIX_DOMAIN_SOCKET:
      out.push(["network.transport", "unix"])
      break
    case ChannelType.NAMED_PIPE:
      out.push(["network.transport", "pipe"])
      break
  }
  return out
}
