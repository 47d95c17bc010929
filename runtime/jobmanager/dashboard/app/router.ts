import { useEffect, useState } from 'preact/hooks';

/**
 * Routes live in the URL's hash (`#/jobs/<id>`): the server serves one page for all of them, and
 * a route holds only ids, never the token.
 */
export type Route =
  | { readonly page: 'overview' }
  | { readonly page: 'jobs' }
  | { readonly page: 'job'; readonly jobId: string; readonly tab: string }
  | { readonly page: 'taskmanagers' }
  | { readonly page: 'taskmanager'; readonly taskManagerId: string }
  | { readonly page: 'savepoints'; readonly location?: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'jobs' && parts[1]) return { page: 'job', jobId: parts[1], tab: parts[2] ?? 'graph' };
  if (parts[0] === 'jobs') return { page: 'jobs' };
  if (parts[0] === 'taskmanagers' && parts[1]) return { page: 'taskmanager', taskManagerId: parts[1] };
  if (parts[0] === 'taskmanagers') return { page: 'taskmanagers' };
  if (parts[0] === 'savepoints')
    return parts[1] ? { page: 'savepoints', location: parts[1] } : { page: 'savepoints' };
  return { page: 'overview' };
}

export function href(...parts: string[]): string {
  return `#/${parts.map(encodeURIComponent).join('/')}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
