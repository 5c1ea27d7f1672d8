// The QuickPicks and lookups the commands share: which connection, which principal, and short URLs for messages.

import * as vscode from 'vscode';
import type { Connection, ImpersonationMode, Principal } from '../core/model';
import type { Services } from './services';

export async function resolvePrincipal(s: Services, connection: Connection, ref: string): Promise<Principal> {
  const withFetched = { ...connection, principals: s.store.principals(connection) };
  return s.engine.resolvePrincipal(withFetched, ref);
}

export async function pickConnection(connections: Connection[], title: string): Promise<Connection | undefined> {
  const picked = await vscode.window.showQuickPick(
    connections.map((c) => ({ label: c.label, description: c.id, detail: `${c.vendor} · ${c.baseUrl}${c.production ? ' · PRODUCTION' : ''}`, connection: c })),
    { title, matchOnDescription: true, matchOnDetail: true },
  );
  return picked?.connection;
}

/** QuickPick of principals: name, email, ids and which modes the vendor supports; plus the service user. */
export async function pickPrincipal(
  s: Services,
  connection: Connection,
  title: string,
  options: { withServiceUser?: boolean; modeNote?: string } = {},
): Promise<{ principal?: Principal } | undefined> {
  const modes = s.engine.modes(connection);
  const active = await s.identity.current();
  const mode: ImpersonationMode | undefined = active?.connection.id === connection.id ? active.mode : undefined;
  const modeText = options.modeNote ?? `modes: ${modes.join(' · ')}${mode ? ` (now ${mode})` : ''}`;
  type Item = vscode.QuickPickItem & { principal?: Principal };
  const items: Item[] = s.store.principals(connection).map((p) => ({
    label: `$(account) ${p.name ?? p.email ?? p.id}`,
    description: p.email,
    detail: `id ${p.id}${p.userId ? ` · user ${p.userId}` : ''}${p.clientId ? ` · app ${p.clientId}` : ''} · ${modeText}${p.source === 'vendor' ? ' · from the vendor' : ''}`,
    principal: p,
  }));
  if (options.withServiceUser !== false)
    items.push({ label: '$(server) Service user (yourself)', description: connection.clientId, detail: "no impersonation: the connection's own identity" });
  const picked = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: `${connection.label}: type a name, email or id`,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return picked ? { principal: picked.principal } : undefined;
}

export function shortUrl(url: string): string {
  return url.length > 60 ? `${url.slice(0, 57)}…` : url;
}
