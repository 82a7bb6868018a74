/**
 * Channels: the seed's channel types, and the attributes a channel is recorded as.
 *
 * @internal
 */

/** @internal */
export const ChannelType = {
  OTHER: 0,
  TCP_IP: 1,
  UNIX_DOMAIN_SOCKET: 2,
  NAMED_PIPE: 3,
  IN_PROCESS: 4
} as const

/** @internal */
export interface Channel {
  readonly type: number
  readonly endpoint?: string | undefined
}

const typeNames = ["OTHER", "TCP_IP", "UNIX_DOMAIN_SOCKET", "NAMED_PIPE", "IN_PROCESS"] as const

/**
 * The attributes of a channel: `oneagent.channel.*`, and the OpenTelemetry network attributes its endpoint gives.
 *
 * @internal
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
