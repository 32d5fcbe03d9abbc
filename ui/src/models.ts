// Typed models of notes/app-contract.md (serde camelCase JSON from src-tauri/src/models.rs).
// u64/u32/u16/u8/i32 all arrive as JS numbers.

export interface ServerError {
  kind: 'portInUse' | 'other';
  message: string;
  port: number | null;
  /** Name of the process holding the port, when it can be found. */
  heldBy: string | null;
  nextFreePort: number | null;
}

export interface ServerView {
  running: boolean;
  url: string | null;
  port: number;
  serverName: string;
  allInterfaces: boolean;
  maxPingTimeMs: number;
  startOnLaunch: boolean;
  error: ServerError | null;
}

export interface ClientView {
  id: number;
  name: string | null;
  /** Negotiated spec version, e.g. "v3"; null until the handshake is done. */
  specVersion: string | null;
  address: string;
  origin: string | null;
  /** RFC 3339 */
  connectedSince: string;
  messagesIn: number;
  messagesOut: number;
  lastError: string | null;
  /** A client from another machine waiting for the user to allow or refuse it. */
  awaitingApproval: boolean;
}

export interface OutputView {
  featureIndex: number;
  kind: string;
  value: number;
  min: number;
  max: number;
  limit: [number, number] | null;
  disabled: boolean;
}

export type Transport = 'ble' | 'serial' | 'websocket' | 'virtual';

export interface DeviceView {
  /** null when the device is known but not connected. */
  index: number | null;
  name: string;
  displayName: string | null;
  protocol: string;
  transport: Transport | string;
  address: string;
  connected: boolean;
  battery: number | null;
  allowed: boolean;
  denied: boolean;
  outputs: OutputView[];
}

export interface TransportStatus {
  name: string;
  enabled: boolean;
  ready: boolean;
  reason: string | null;
  remedy: string | null;
}

export interface SerialPortView {
  path: string;
  description: string;
  boundProtocol: string | null;
}

export interface HardwareView {
  transports: TransportStatus[];
  serialPorts: SerialPortView[];
  deviceWebsocket: { enabled: boolean; port: number };
  scanning: boolean;
}

export interface Settings {
  port: number;
  serverName: string;
  allInterfaces: boolean;
  maxPingTimeMs: number;
  startServerOnLaunch: boolean;
  closeToTray: boolean;
  startMinimized: boolean;
  /** Start Plugboard when the user logs in (an autostart entry of the desktop session). */
  launchAtLogin: boolean;
  useBluetoothLe: boolean;
  useSerial: boolean;
  useDeviceWebsocketServer: boolean;
  deviceWebsocketPort: number;
  /** With allInterfaces: let clients from other machines in without asking. */
  allowAllRemoteClients: boolean;
  /** Remembered approvals (changed by answer_client / forget_approved_client only). */
  approvedClients: ApprovedClient[];
  /** Refuse web pages whose Origin is not in allowedOrigins. */
  restrictOrigins: boolean;
  allowedOrigins: string[];
  /** Client name → addresses of the only devices it may use (set_client_device_access only). */
  clientDeviceAccess: Record<string, string[]>;
}

export interface ApprovedClient {
  /** IP address */
  address: string;
  /** null: a native app */
  origin: string | null;
}

export interface Snapshot {
  server: ServerView;
  clients: ClientView[];
  devices: DeviceView[];
  hardware: HardwareView;
  settings: Settings;
  trayAvailable: boolean;
  trayMessage: string | null;
  /** Set when the settings file could not be read or saved (e.g. it was corrupt and was moved aside). */
  settingsMessage?: string | null;
}

export const LOG_LEVELS = ['ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogLine {
  time: string;
  level: LogLevel;
  target: string;
  message: string;
}

export const VIRTUAL_KINDS = ['vibrator', 'dual-vibrator', 'rotator', 'stroker', 'lovense-max'] as const;
export type VirtualKind = (typeof VIRTUAL_KINDS)[number];
