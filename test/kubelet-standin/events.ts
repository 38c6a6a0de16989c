/** What the stand-in did and saw, kept in memory for assertions and printed through the logger. */
import type { PodDaemonName } from './pod-manifest.js';

export type DaemonSource = 'static-pod' | 'systemd';

export type StandinEventKind =
  | 'started'
  | 'exited'
  | 'restarting'
  | 'stopping'
  | 'stopped'
  | 'reloaded'
  | 'probe-failed'
  | 'mount-failed'
  | 'refused'
  | 'ignored'
  | 'invalid-manifest';

export interface StandinEvent {
  /** Date.now() when it happened. */
  readonly at: number;
  readonly host: string;
  readonly daemon?: PodDaemonName;
  readonly source: DaemonSource;
  readonly kind: StandinEventKind;
  readonly detail: string;
  readonly pid?: number;
}

export type EmitEvent = (event: Omit<StandinEvent, 'at' | 'host'>) => void;

export type DaemonState = 'waiting' | 'starting' | 'running' | 'backoff' | 'exited' | 'failed' | 'stopping' | 'stopped';

export interface DaemonStatus {
  readonly daemon: PodDaemonName;
  readonly source: DaemonSource;
  readonly state: DaemonState;
  /** The daemon's main process on the host, while it runs. */
  readonly pid?: number;
  readonly restarts: number;
  readonly lastExit?: { readonly code: number | null; readonly signal: string | null; readonly at: number };
  /** The static pod's manifest file, or the unit name. */
  readonly origin: string;
  readonly logPath?: string;
}
