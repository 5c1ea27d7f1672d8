import type * as vscode from 'vscode';
import type { Log } from '../core/ports';

/** The core's Log port over a LogOutputChannel. Messages arrive already redacted by the engine. */
export function outputChannelLog(channel: vscode.LogOutputChannel): Log {
  return {
    log: (level, message) => {
      switch (level) {
        case 'debug':
          return channel.debug(message);
        case 'info':
          return channel.info(message);
        case 'warn':
          return channel.warn(message);
        case 'error':
          return channel.error(message);
      }
    },
  };
}
