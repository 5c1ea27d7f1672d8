// The commands about a connection itself: its principals, proxy assignments, an asset's history.

import type { BehalfEngine } from '../core/engine';
import type { Connection } from '../core/model';
import { mergePrincipals, suggestedPrincipalId, type MergedPrincipal } from '../core/principalAssignments';
import { connectionArg } from './files';
import type { Flags, Io } from './io';
import { assignCommandLine } from './output';

export async function principalsCommand(engine: BehalfEngine, args: string[], flags: Flags, io: Io, signal?: AbortSignal): Promise<number> {
  const connection = connectionArg(args, 1, 'behalf principals <connection>', flags, io);
  // The file's principals merged with whom the vendor lets the service user act as (DealCloud: proxy assignments).
  const principals = mergePrincipals(connection.principals, await engine.vendorPrincipals(connection, signal));
  if (flags.json) io.out(`${JSON.stringify(principals)}\n`);
  else {
    const listed = principals.some((p) => p.assigned !== undefined);
    const assigned = principals.filter((p) => p.assigned).length;
    const counts = listed ? `; ${assigned} of ${principals.length} may be acted as (the vendor's list)` : '';
    io.out(`${connection.label} — ${principals.length} principal(s); modes: ${engine.modes(connection).join(', ')}${counts}\n`);
    const taken = connection.principals.map((p) => p.id);
    for (const p of principals) {
      const row = `  ${p.id.padEnd(12)} ${(p.name ?? '').padEnd(20)} ${(p.email ?? '').padEnd(24)} ${p.userId ?? p.clientId ?? ''}`;
      io.out(`${row}${principalState(connection, p, taken, flags)}\n`);
    }
  }
  return 0;
}

/** What a merged principal's row adds: assigned, no proxy assignment (and the command to create it), or how to add it to the file. */
function principalState(connection: Connection, p: MergedPrincipal, taken: string[], flags: Flags): string {
  if (p.assigned === undefined) return '';
  if (!p.assigned) return `  no proxy assignment — create it: ${assignCommandLine(connection.id, p.userId ?? p.id, flags)}`;
  if (p.source === 'both') return '  assigned';
  const id = suggestedPrincipalId(p, taken);
  taken.push(id);
  const entry = JSON.stringify({ id, userId: p.userId, email: p.email, name: p.name });
  return `  assigned, not in the connections file — to send as it, add ${entry} to "principals" of ${connection.id}`;
}

export async function assignCommand(engine: BehalfEngine, args: string[], flags: Flags, io: Io, signal?: AbortSignal): Promise<number> {
  const connection = connectionArg(args, 2, 'behalf assign <connection> <userId>', flags, io);
  const principals = await engine.createProxyAssignment(connection, args[1], signal);
  io.out(`The service user of ${connection.label} may now act as: ${principals.map((p) => p.userId ?? p.id).join(', ')}\n`);
  return 0;
}

export async function historyCommand(engine: BehalfEngine, args: string[], flags: Flags, io: Io, signal?: AbortSignal): Promise<number> {
  const connection = connectionArg(args, 2, 'behalf history <connection> <assetId>', flags, io);
  const versions = await engine.assetHistory(connection, args[1], undefined, signal);
  if (flags.json) io.out(`${JSON.stringify(versions)}\n`);
  else {
    for (const v of versions) {
      io.out(`v${v.version}  ${v.date}  ${v.user}\n`);
      for (const c of v.changes) io.out(`    ${c.field}: ${JSON.stringify(c.oldValue)} → ${JSON.stringify(c.newValue)}\n`);
    }
  }
  return 0;
}
