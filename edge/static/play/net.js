// The websocket to the edge: JSON text frames in and out, and reconnecting.
//
// The server keeps no session across sockets, so a new socket starts at the
// login screen; the caller decides what to do on "open" (e.g. log in again).

export const RETRY_AFTER_MS = 5000;

/** The edge that served this page, same host and scheme family (ws: for http:, wss: for https:). */
export function defaultServerUrl(location) {
  const override = new URLSearchParams(location.search).get("server");
  if (override) return override; // ?server=ws://host:port/ points the page at another edge
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/`;
}

/**
 * One logical connection that survives socket drops.
 * Callbacks: onPacket(packet), onOpen(), onClose({code, reason, retryAt}).
 */
export class Connection {
  constructor(url, { onPacket, onOpen, onClose }) {
    this.url = url;
    this.onPacket = onPacket;
    this.onOpen = onOpen;
    this.onClose = onClose;
    this.socket = null;
    this.retryTimer = null;
    this.stopped = false;
  }

  get isOpen() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return; // connecting or open
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener("open", () => this.onOpen());
    socket.addEventListener("message", (event) => this.receive(event.data));
    socket.addEventListener("close", (event) => this.closed(socket, event));
  }

  receive(text) {
    let packet;
    try {
      packet = JSON.parse(text);
    } catch {
      return; // PROTOCOL 2.2.2: the original could send the bare text CLOSE; nothing to show
    }
    if (packet && typeof packet.type === "number") this.onPacket(packet);
  }

  closed(socket, event) {
    if (socket !== this.socket) return; // an older socket we already replaced
    this.socket = null;
    const retryAt = this.stopped ? null : Date.now() + RETRY_AFTER_MS;
    if (retryAt !== null) this.retryTimer = setTimeout(() => this.connect(), RETRY_AFTER_MS);
    this.onClose({ code: event.code, reason: event.reason, retryAt });
  }

  /** Send one packet; false when there is no open socket (the packet is dropped, not queued). */
  send(packet) {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(packet));
    return true;
  }
}
