// withDelayedProgress in the real extension host (its tokens are VS Code's): a quick task shows no notification,
// a slow one shows it once with what it reported before it appeared, and the notification's Cancel reaches the task.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { withDelayedProgress, type ProgressStep, type WithProgress } from '../../src/extension/delayedProgress';

const OPTIONS: vscode.ProgressOptions = { location: vscode.ProgressLocation.Notification, title: 'Behalf: test', cancellable: true };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A withProgress that records what it was asked to show; `cancelAfterMs` presses Cancel that long after it appears. */
function recordingProgress(cancelAfterMs?: number) {
  const shown: { steps: ProgressStep[]; ended: boolean }[] = [];
  const withProgress: WithProgress = (_options, task) => {
    const entry = { steps: [] as ProgressStep[], ended: false };
    shown.push(entry);
    const source = new vscode.CancellationTokenSource();
    if (cancelAfterMs !== undefined) setTimeout(() => source.cancel(), cancelAfterMs);
    return task({ report: (step) => entry.steps.push(step) }, source.token).then((value) => {
      entry.ended = true;
      return value;
    });
  };
  return { shown, withProgress };
}

describe('withDelayedProgress', () => {
  it('a task that ends before the delay shows no notification', async () => {
    const { shown, withProgress } = recordingProgress();
    const value = await withDelayedProgress(
      OPTIONS,
      200,
      async (progress) => {
        progress.report({ message: 'Starting an impersonation session…' });
        return 42;
      },
      withProgress,
    );
    assert.equal(value, 42);
    await sleep(250);
    assert.equal(shown.length, 0, 'no notification for a quick task, not even after the delay');
  });

  it('a slow task shows one notification, with what it reported before, and it ends with the task', async () => {
    const { shown, withProgress } = recordingProgress();
    await withDelayedProgress(
      OPTIONS,
      30,
      async (progress) => {
        progress.report({ message: 'first' });
        progress.report({ message: 'second', increment: 10 });
        progress.report({ increment: 5 });
        await sleep(120);
        progress.report({ message: 'after' });
        await sleep(20);
      },
      withProgress,
    );
    assert.equal(shown.length, 1);
    assert.deepEqual(shown[0].steps, [{ message: 'second', increment: 15 }, { message: 'after' }]);
    await sleep(0);
    assert.equal(shown[0].ended, true, 'the notification ends with the task');
  });

  it("the notification's Cancel cancels the task's token; a failure is the task's own", async () => {
    const { withProgress } = recordingProgress(20);
    await assert.rejects(
      withDelayedProgress(
        OPTIONS,
        10,
        async (_progress, token) => {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('not cancelled')), 2_000);
            token.onCancellationRequested(() => {
              clearTimeout(timer);
              reject(new Error('cancelled'));
            });
          });
        },
        withProgress,
      ),
      /^Error: cancelled$/,
    );
  });
});
