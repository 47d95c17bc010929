import { useState } from 'preact/hooks';
import { ApiError, api } from '../api';
import { storeToken } from '../auth';

/**
 * Asks for the REST token once per browser tab. The token is checked against the job manager
 * (`GET /config`) before it is kept; a wrong one shows an error and is not stored.
 */
export function Login({
  onLogin,
  initialError,
}: {
  onLogin: (token: string) => void;
  initialError?: string;
}) {
  const [value, setValue] = useState('');
  const [error, setError] = useState(initialError);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    const token = value.trim();
    if (!token) return setError('Enter the token (rest.token; `npm run local` prints it).');
    setBusy(true);
    try {
      await api('/config', { token });
      storeToken(token);
      setValue('');
      onLogin(token);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'The job manager did not accept this token.'
          : `Could not reach the job manager: ${(err as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login">
      <form onSubmit={(e) => void submit(e)}>
        <h1>Sluice</h1>
        <label for="token">REST token</label>
        <input
          id="token"
          type="password"
          autocomplete="off"
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={busy}>
          Log in
        </button>
        {error && (
          <div class="error-banner" role="alert" data-testid="login-error">
            {error}
          </div>
        )}
      </form>
    </div>
  );
}
