// Notification progress for work that is usually quick. VS Code draws a progress notification the moment an
// extension asks for one and keeps it for at least 800 ms: a send that answers in 10 ms would flash a toast
// for most of a second, and drawing it competes with a new response panel for the workbench's main thread
// (the panel itself already says "Sending as …" with Cancel). So the notification appears only once the work
// has run for `delayMs`; what was reported before then (the latest message, the increments) is shown with it.

import * as vscode from 'vscode';

export type ProgressStep = { message?: string; increment?: number };

/** vscode.window.withProgress, or a stand-in with its signature (tests). */
export type WithProgress = <R>(
  options: vscode.ProgressOptions,
  task: (progress: vscode.Progress<ProgressStep>, token: vscode.CancellationToken) => Thenable<R>,
) => Thenable<R>;

/** How long a send runs before its progress notification appears. */
export const SEND_PROGRESS_DELAY_MS = 300;

/**
 * Runs `task` at once; shows `options` (a cancellable notification) only if the task is still running after
 * `delayMs`. The task's token is cancelled when the notification's Cancel is pressed.
 */
export async function withDelayedProgress<R>(
  options: vscode.ProgressOptions,
  delayMs: number,
  task: (progress: vscode.Progress<ProgressStep>, token: vscode.CancellationToken) => Promise<R>,
  withProgress: WithProgress = vscode.window.withProgress,
): Promise<R> {
  const cancel = new vscode.CancellationTokenSource();
  let shown: vscode.Progress<ProgressStep> | undefined;
  let message: string | undefined;
  let increment = 0;
  const progress: vscode.Progress<ProgressStep> = {
    report(step) {
      if (shown) return shown.report(step);
      if (step.message !== undefined) message = step.message;
      increment += step.increment ?? 0;
    },
  };
  const running = task(progress, cancel.token);
  // The notification lasts as long as the task, however it ends (its failure is the caller's, below).
  const ended = running.then(
    () => undefined,
    () => undefined,
  );
  const timer = setTimeout(() => {
    void withProgress(options, (visible, token) => {
      token.onCancellationRequested(() => cancel.cancel());
      shown = visible;
      if (message !== undefined || increment > 0) visible.report({ ...(message !== undefined ? { message } : {}), ...(increment > 0 ? { increment } : {}) });
      return ended;
    });
  }, delayMs);
  try {
    return await running;
  } finally {
    clearTimeout(timer);
    cancel.dispose();
  }
}
