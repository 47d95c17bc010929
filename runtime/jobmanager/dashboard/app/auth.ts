/**
 * The REST token, kept in session storage: it survives a reload of the tab but not the tab
 * itself, and is never written to a URL, a cookie or the page.
 */
const KEY = 'sluice.token';

export function readToken(): string | undefined {
  return sessionStorage.getItem(KEY) ?? undefined;
}

export function storeToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}
