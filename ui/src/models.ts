// Generated from src-tauri/src/models.rs by `PLUGBOARD_UPDATE_TS_MODELS=1 cargo test -p plugboard typescript`; do not edit.
// The shell serializes these types as camelCase JSON; every integer arrives as a number.

export type Snapshot = {
  server: ServerView,
  clients: Array<ClientView>,
  devices: Array<DeviceView>,
  hardware: HardwareView,
  settings: Settings,
  trayAvailable: boolean,
  trayMessage: string | null,
  /**
   * Set when the settings file could not be read or saved (for example it was corrupt and
   * was moved aside).
   */
  settingsMessage: string | null,
  /**
   * The global STOP shortcut, as registered.
   */
  shortcut: ShortcutView,
  /**
   * Web pages (Origins, normalized and sorted) whose HTTP requests were refused while the
   * user is asked about them (answered by `answer_web_page`).
   */
  webPagesAsking: Array<string>,
};

export type ServerView = {
  running: boolean,
  url: string | null,
  port: number,
  serverName: string,
  allInterfaces: boolean,
  maxPingTimeMs: number,
  startOnLaunch: boolean,
  error: ServerError | null,
  /**
   * The address to type into a game made for Lovense, while the Lovense API runs.
   */
  lovenseApiUrl: string | null,
  /**
   * The REST API's base URL for scripts, while it runs.
   */
  restApiUrl: string | null,
  /**
   * The name the server is announced as over mDNS, while it is.
   */
  mdnsName: string | null,
};

export type ServerErrorKind = "portInUse" | "other";

export type ServerError = {
  kind: ServerErrorKind,
  message: string,
  port: number | null,
  /**
   * The process holding the port, when it could be found.
   */
  heldBy: string | null,
  nextFreePort: number | null,
};

export type ClientView = {
  id: number,
  /**
   * How it reaches Plugboard: "Buttplug v3" (with its spec version), "this window".
   */
  kind: string,
  /**
   * A client inside the app (this window's controls): no address, nothing to disconnect.
   */
  local: boolean,
  name: string | null,
  /**
   * The negotiated spec version, such as "v3" ("Lovense API" for an app calling the
   * Lovense API); absent until the handshake is done.
   */
  specVersion: string | null,
  /**
   * Where it connects from; absent for a client inside the app.
   */
  address: string | null,
  origin: string | null,
  /**
   * RFC 3339
   */
  connectedSince: string,
  messagesIn: number,
  messagesOut: number,
  lastError: string | null,
  /**
   * A client from another machine, or a web page the user has not allowed, waiting for the
   * user to allow or refuse it.
   */
  awaitingApproval: boolean,
};

export type DeviceView = {
  /**
   * Absent for a device that is known but not connected.
   */
  index: number | null,
  name: string,
  displayName: string | null,
  protocol: string,
  /**
   * "ble", "serial", "websocket" or "virtual"; empty for a device that is not connected.
   */
  transport: string,
  address: string,
  connected: boolean,
  battery: number | null,
  allowed: boolean,
  denied: boolean,
  outputs: Array<OutputView>,
  /**
   * What the window can read on demand (battery, signal strength).
   */
  inputs: Array<InputView>,
};

export type OutputView = {
  featureIndex: number,
  /**
   * The output type's v4 name, such as "Vibrate".
   */
  kind: string,
  value: number,
  min: number,
  max: number,
  limit: [number, number] | null,
  disabled: boolean,
  /**
   * For a position reached in a given time: the times a move may take, in milliseconds.
   */
  duration: [number, number] | null,
  /**
   * Who set it last, as the Apps view names them ("this window", a game's name); absent
   * when nobody has or the one who did has left.
   */
  owner: string | null,
  /**
   * Set last by this window's controls.
   */
  ownedByWindow: boolean,
};

export type InputView = {
  featureIndex: number,
  /**
   * "Battery" or "Rssi" (and the other input types' names).
   */
  kind: string,
};

/**
 * A value read from a device's input.
 */
export type InputReading = {
  value: number,
  /**
   * The value with its unit, such as "64 %" or "-52 dBm".
   */
  text: string,
};

/**
 * The global STOP shortcut: its keys, whether it is registered, and where it is heard.
 */
export type ShortcutView = {
  /**
   * As the settings write it, such as "Ctrl+Alt+Shift+S"; empty when turned off.
   */
  keys: string,
  /**
   * Registered: pressing it stops every device.
   */
  active: boolean,
  /**
   * Why it is not registered, in the user's words.
   */
  problem: string | null,
  /**
   * Where it is heard (any window on X11 and through the portal; less on Wayland without
   * it), for the settings.
   */
  whereItWorks: string,
  /**
   * How the shortcut reaches Plugboard.
   */
  mechanism: ShortcutMechanism,
  /**
   * Through the portal: the combination the desktop assigned, in the desktop's words (it may
   * differ from `keys`); `None` until one is assigned, and with the X grab.
   */
  assignedTrigger: string | null,
};

/**
 * How the STOP shortcut reaches Plugboard (docs/architecture.md, "The STOP shortcut").
 */
export type ShortcutMechanism = "keyGrab" | "portal";

/**
 * The window's colours.
 */
export type Theme = "system" | "light" | "dark";

export type HardwareView = {
  transports: Array<TransportView>,
  serialPorts: Array<SerialPortView>,
  deviceWebsocket: DeviceWebsocketView,
  scanning: boolean,
};

export type TransportView = {
  name: string,
  enabled: boolean,
  ready: boolean,
  reason: string | null,
  remedy: string | null,
};

export type SerialPortView = {
  path: string,
  description: string,
  boundProtocol: string | null,
};

export type DeviceWebsocketView = {
  enabled: boolean,
  port: number,
};

/**
 * The user's settings, saved as JSON in the OS config dir. Missing fields take defaults.
 */
export type Settings = {
  port: number,
  serverName: string,
  allInterfaces: boolean,
  maxPingTimeMs: number,
  startServerOnLaunch: boolean,
  closeToTray: boolean,
  startMinimized: boolean,
  /**
   * Start Plugboard when the user logs in (an autostart entry of the desktop session; off
   * by default).
   */
  launchAtLogin: boolean,
  useBluetoothLe: boolean,
  useSerial: boolean,
  useDeviceWebsocketServer: boolean,
  deviceWebsocketPort: number,
  /**
   * With allInterfaces: let clients from other machines in without asking.
   */
  allowAllRemoteClients: boolean,
  /**
   * Clients from other machines the user allowed for good (changed by `answer_client` and
   * `forget_approved_client`, not by `save_settings`).
   */
  approvedClients: Array<ApprovedClient>,
  /**
   * Let every web page use the websocket without asking (off: a web page the user has not
   * allowed waits until they answer). Apps that are not web pages are never asked about.
   */
  allowAnyWebPage: boolean,
  /**
   * Web pages (Origins) the user always allows (changed by `answer_client` and
   * `forget_web_page`, not by `save_settings`). Settings saved before this list existed
   * had "Only let these web pages connect" (`allowedOrigins`): `settings::load` reads
   * those pages into this list.
   */
  rememberedWebPages: Array<string>,
  /**
   * Client name → addresses of the only devices it may use (changed by
   * `set_client_device_access`, not by `save_settings`).
   */
  clientDeviceAccess: { [key in string]: Array<string> },
  /**
   * The global key combination that stops every device, such as "Ctrl+Alt+Shift+S";
   * empty turns it off.
   */
  stopShortcut: string,
  /**
   * Light or dark; by default the system's preference.
   */
  theme: Theme,
  /**
   * A desktop notification when a device connects or disconnects (on by default: the window
   * is usually hidden behind a game when a toy drops out).
   */
  notifyDeviceConnections: boolean,
  /**
   * A desktop notification when a device's battery falls under 15 % (on by default).
   */
  notifyLowBattery: boolean,
  /**
   * Answer the Lovense local API, so that games made for Lovense use the toys (off by
   * default).
   */
  lovenseApi: boolean,
  lovenseApiPort: number,
  /**
   * 0 turns HTTPS off.
   */
  lovenseApiHttpsPort: number,
  /**
   * Serve the REST API (docs/rest-api.md) for scripts at `rest_api_port` (off by default).
   */
  restApi: boolean,
  restApiPort: number,
  /**
   * Announce the server on the local network over mDNS as intiface-engine does, so apps
   * that look for Intiface find it (off by default; only while listening on all
   * interfaces, since a server on this machine only has nothing to announce).
   */
  mdns: boolean,
  /**
   * Where "Check for device updates" downloads the device database from (http:// or
   * https://); empty: the reference database's published file.
   */
  deviceDatabaseUrl: string,
};

/**
 * A remembered approval: the client's IP address and its Origin (absent for an app that is
 * not a web page).
 */
export type ApprovedClient = {
  address: string,
  origin: string | null,
};

/**
 * What "Check for device updates" did.
 */
export type DeviceDatabaseUpdate = {
  /**
   * How many device models the new database adds.
   */
  modelsAdded: number,
  /**
   * For the user: what was added, and when the server uses it.
   */
  message: string,
};

export type LogLine = {
  /**
   * RFC 3339
   */
  time: string,
  level: LogLevel,
  target: string,
  message: string,
};

/**
 * What came of "Export logs": where the file went, or that the user cancelled the dialog.
 */
export type LogExport = { "outcome": "saved", path: string, lines: number, } | { "outcome": "cancelled" };

/** Log levels, most important first. */
export const LOG_LEVELS = ['ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The kinds of virtual device the engine can add. */
export const VIRTUAL_KINDS = ['vibrator', 'dual-vibrator', 'rotator', 'stroker', 'lovense-max', 'sampler'] as const;
export type VirtualKind = (typeof VIRTUAL_KINDS)[number];
