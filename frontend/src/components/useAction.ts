import { App } from 'antd';
import { useState } from 'react';
import { useErrorText } from './errors';

/**
 * One user action that calls the API: `busy` while it runs, the refusal kept in `error` (to show
 * with ErrorAlert) and toasted, a success toast when it worked. `run` resolves to the result, or
 * undefined when it failed.
 */
export function useAction() {
  const { message } = App.useApp();
  const errorText = useErrorText();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async <R,>(f: () => Promise<R>, success?: string): Promise<R | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await f();
      if (success) message.success(success);
      return r;
    } catch (e) {
      setError(e);
      message.error(errorText(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
