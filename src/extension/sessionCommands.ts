// The Sessions view's commands: End Session, End Session Again (a stop the vendor did not confirm) and End All
// Sessions. Part of the extras chunk (src/extension/extras.ts): loaded when one of them first runs.
import * as vscode from 'vscode';
import { registerReported } from './sendCommands';
import type { Services } from './services';
import { END_SESSIONS_MS } from './sessionEnding';

export function registerSessionCommands(s: Services): void {
  const register = (id: string, run: (...args: never[]) => Promise<unknown>) => registerReported(s, id, run);

  register('behalf.endSession', async (session?: { connectionId: string; principalId: string }) => {
    if (!session) return vscode.commands.executeCommand('behalf.endAllSessions');
    const connection = await s.store.connection(session.connectionId);
    // A stop the vendor does not confirm keeps the session in the view (End Session Again) and says so.
    if (connection) await s.engine.endSession(connection, session.principalId, { timeoutMs: END_SESSIONS_MS });
    s.sessionsTree.refresh();
    s.sessionEnding.check();
  });

  register('behalf.endSessionAgain', async (session?: { connectionId: string; principalId: string }) => {
    const which = session ? { connectionId: session.connectionId, principalId: session.principalId } : undefined;
    const still = await s.sessionEnding.endAgain(which);
    s.sessionsTree.refresh();
    void vscode.window.setStatusBarMessage(
      still.length === 0
        ? 'Behalf: the impersonation session ended'
        : `Behalf: still not confirmed ended: ${still.map((u) => `${u.principalLabel} on ${u.connectionLabel}`).join('; ')}`,
      6000,
    );
  });

  register('behalf.endAllSessions', async () => {
    const count = (s.engineIfStarted?.sessions().length ?? 0) + s.sessionEnding.list().length;
    const open = (await s.endAllSessions()).length;
    void vscode.window.setStatusBarMessage(
      `Behalf: ended ${count - open} impersonation session${count - open === 1 ? '' : 's'}${open ? `; ${open} may still be open (see the Sessions view)` : ''}`,
      6000,
    );
  });
}
